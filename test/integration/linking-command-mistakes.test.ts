/**
 * /link and /unlink used the wrong way: a code typed in a group (where the others could take it)
 * by its own account or by an account without access there, `/unlink` naming another account, and the form Slack's client accepts.
 */
import { describe, expect, it } from 'vitest';
import { memoryReplies } from '../memory/helpers.js';
import { cmd, dm, link, useLinkingWorld, type World } from '../helpers/linking-world.js';

const linking = useLinkingWorld(memoryReplies(() => ({ notes: [] })));
let world: World;

const group = { isDirect: false, addressed: true, conversationId: 'telegram:-42' };

async function linkCode(issuer: 'telegram' | 'slack', senderId: string): Promise<string> {
  await world.cairn.gateway.receive(cmd(world[issuer], senderId, 'link'));
  const code = /link code is ([A-Z0-9]{8})/.exec(world[issuer].texts().at(-1) ?? '')?.[1] ?? '';
  expect(code).not.toBe('');
  return code;
}

describe('a link code posted by its own account', () => {
  it('in a group, is spent: another member there cannot become its owner with it', async () => {
    world = linking.start({ TELEGRAM_ALLOWED_USERS: '100,101' });
    const { cairn, telegram } = world;
    const code = await linkCode('telegram', '100');
    await cairn.gateway.receive(dm(telegram, '100', `/link ${code}`, { ...group, command: { name: 'link', args: code } }));
    expect(telegram.texts().at(-1)).toBe('That is your own link code, and others here have seen it, so it no longer works. Send me /link in a direct message for a new one, and send that from your other account.');
    await cairn.gateway.receive(dm(telegram, '101', `/link ${code}`, { ...group, command: { name: 'link', args: code } }));
    expect(telegram.texts().at(-1)).toContain('unknown or expired');
    expect(cairn.access.personOf('telegram:101')).toBe('telegram:101');
  });

  it('typed in a group by an account that may not use Cairn there, is spent though the message is not answered', async () => {
    world = linking.start({ TELEGRAM_ALLOWED_USERS: '100,101' });
    const { cairn, telegram, slack } = world;
    const code = await linkCode('slack', 'U1');
    // Its owner's Telegram account is not allowed: the message is ignored, but the group read the code.
    expect(await cairn.gateway.receive(dm(telegram, '102', `/link ${code}`, { ...group, command: { name: 'link', args: code } }))).toBe('denied');
    await cairn.gateway.receive(dm(telegram, '101', `/link ${code}`, { ...group, command: { name: 'link', args: code } }));
    expect(telegram.texts().at(-1)).toContain('unknown or expired');
    expect(cairn.access.personOf('telegram:101')).toBe('telegram:101');
    expect(slack.texts()).toHaveLength(1);
  });

  it('in its direct chat, still works from the other account afterwards', async () => {
    world = linking.start();
    const { cairn, telegram, slack } = world;
    const code = await linkCode('telegram', '100');
    await cairn.gateway.receive(cmd(telegram, '100', 'link', code));
    expect(telegram.texts().at(-1)).toBe('Send this code from your other account, not from the one that created it.');
    await cairn.gateway.receive(cmd(slack, 'U1', 'link', code));
    expect(slack.texts().at(-1)).toContain('Linked');
    expect(cairn.access.personOf('slack:U1')).toBe('telegram:100');
  });
});

describe('/unlink', () => {
  it('naming another account detaches nothing, and says how to detach that one', async () => {
    world = linking.start();
    const { cairn, telegram, slack, discord } = world;
    await link(world, [telegram, '100'], [slack, 'U1']);
    await link(world, [telegram, '100'], [discord, '801']);
    cairn.notes.save('telegram:100', { text: 'Works on the billing service.', kind: 'fact', now: cairn.manualClock.now() });
    // Meant: drop the Telegram account. It used to drop the Discord one, which lost the person's notes.
    await cairn.gateway.receive(cmd(discord, '801', 'unlink', 'telegram:100'));
    expect(discord.texts().at(-1)).toBe('/unlink takes nothing after it: it detaches the account you send it from. To detach another of your accounts, send /unlink from that one.');
    expect(cairn.access.links.identitiesOf('discord:801').sort()).toEqual(['discord:801', 'slack:U1', 'telegram:100']);
    expect(cairn.notes.store.list(cairn.access.personOf('discord:801')).map((n) => n.text)).toEqual(['Works on the billing service.']);
    // Sent from the account to detach, it does.
    await cairn.gateway.receive(cmd(telegram, '100', 'unlink'));
    expect(cairn.access.links.identitiesOf('discord:801').sort()).toEqual(['discord:801', 'slack:U1']);
  });
});

describe('the link code reply', () => {
  it('gives the form Slack accepts too (its client refuses `/link`, which no Slack app defines)', async () => {
    world = linking.start();
    const code = await linkCode('telegram', '100');
    expect(world.telegram.texts().at(-1)).toBe(`Your link code is ${code} (valid for 15 minutes). Send \`/link ${code}\` to me from your other account (on Slack: \`/cairn link ${code}\`).`);
  });
});
