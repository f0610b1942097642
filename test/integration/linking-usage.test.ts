/**
 * Today's usage across /unlink and /link: an account that leaves carries the person's calls, and
 * linked again (to them or to another account) each call counts once, and none is lost.
 */
import { describe, expect, it } from 'vitest';
import { cmd, dm, link, useLinkingWorld, type World } from '../helpers/linking-world.js';

const linking = useLinkingWorld(() => ({ text: 'done', usage: { prompt_tokens: 500, completion_tokens: 20 } }));
let world: World;

describe('usage across unlink and re-link', () => {
  it('re-linking after /unlink (the key holder left) does not count the day\'s tokens twice', async () => {
    world = linking.start({ CAIRN_USER_DAILY_TOKENS: '1000' });
    const { cairn, telegram, slack } = world;
    await link(world, [telegram, '100'], [slack, 'U1']);
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'hello'))).toBe('turn'); // 520 tokens for the person
    await cairn.gateway.receive(cmd(telegram, '100', 'unlink'));
    // Linked again, the same way round.
    await link(world, [telegram, '100'], [slack, 'U1']);
    await cairn.gateway.receive(cmd(slack, 'U1', 'usage'));
    expect(slack.texts().at(-1)).toContain('your requests used 520 tokens');
    // 520 of 1,000 spent: the person may go on.
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'again'))).toBe('turn');
  });

  it('re-linking after /unlink (the other account left) does not count the day\'s tokens twice', async () => {
    world = linking.start({ CAIRN_USER_DAILY_TOKENS: '1000' });
    const { cairn, telegram, slack } = world;
    await link(world, [telegram, '100'], [slack, 'U1']);
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'hello'))).toBe('turn');
    await cairn.gateway.receive(cmd(slack, 'U1', 'unlink'));
    // This time the Slack account issues the code.
    await link(world, [slack, 'U1'], [telegram, '100']);
    await cairn.gateway.receive(cmd(telegram, '100', 'usage'));
    expect(telegram.texts().at(-1)).toContain('your requests used 520 tokens');
    expect(await cairn.gateway.receive(dm(telegram, '100', 'again'))).toBe('turn');
  });

  it('an account that left keeps what it carried when it is linked to another account', async () => {
    world = linking.start({ CAIRN_USER_DAILY_TOKENS: '1000' });
    const { cairn, telegram, slack, discord } = world;
    await link(world, [telegram, '100'], [slack, 'U1']);
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'hello'))).toBe('turn');
    await cairn.gateway.receive(cmd(slack, 'U1', 'unlink'));
    // The Slack account joins a Discord one, whose key the person takes.
    await link(world, [discord, '801'], [slack, 'U1']);
    await cairn.gateway.receive(cmd(discord, '801', 'usage'));
    expect(discord.texts().at(-1)).toContain('your requests used 520 tokens');
    // The person it left counts its 520 as before.
    await cairn.gateway.receive(cmd(telegram, '100', 'usage'));
    expect(telegram.texts().at(-1)).toContain('your requests used 520 tokens');
  });
});
