/**
 * `/link <code>` is redeemed the moment it arrives, not queued behind a request running in its
 * conversation: typed in a group, the others there read the code at once, and one of them who
 * sent it in a DM meanwhile became its owner and read their notes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { cmd, dm, startWorld, until, type World } from '../helpers/linking-world.js';

let model: FakeModelServer;
let world: World;
let release: () => void;

beforeEach(async () => {
  model = await startFakeModelServer();
  const gate = new Promise<void>((resolve) => (release = resolve));
  // The first request's answer is held: a long request runs until the test releases it.
  model.enqueue({ after: gate, then: { toolCalls: [{ name: 'memory_save', arguments: { text: 'Deploys billing on Fridays.', kind: 'fact' } }] } }, { text: 'Saved.' });
  model.setDefault(() => ({ text: 'ok' }));
});
afterEach(async () => {
  release();
  await world.cairn.close();
  await model.close();
});

async function linkCode(world: World): Promise<string> {
  await world.cairn.gateway.receive(cmd(world.slack, 'U1', 'link'));
  const code = /link code is ([A-Z0-9]{8})/.exec(world.slack.texts().at(-1) ?? '')?.[1] ?? '';
  expect(code).not.toBe('');
  return code;
}

describe('a link code sent while a request runs in the conversation', () => {
  it('typed in a busy group, is spent before another member can send it in a DM', async () => {
    world = startWorld(model, { TELEGRAM_ALLOWED_USERS: '100,101,102' });
    const { cairn, telegram } = world;
    const group = { isDirect: false, addressed: true, conversationId: 'telegram:-42' };
    const code = await linkCode(world);
    // Bob's long request runs in the group.
    const bobs = cairn.gateway.receive(dm(telegram, '101', '@Cairn remember I deploy billing on Fridays', group));
    await until(() => model.chatRequests().length >= 1);
    // The owner's Telegram account types the code there; everyone in the group reads it.
    const owners = cairn.gateway.receive(dm(telegram, '100', `/link ${code}`, { ...group, command: { name: 'link', args: code } }));
    await until(() => cairn.access.personOf('telegram:100') === 'slack:U1');
    // Mallory, another member, sends it in a DM while Bob's request still runs.
    await cairn.gateway.receive(cmd(telegram, '102', 'link', code));
    expect(telegram.sent.filter((s) => s.conversationId === 'telegram:dm:102').at(-1)?.reply.text).toContain('unknown or expired');
    expect(cairn.access.personOf('telegram:102')).toBe('telegram:102');
    release();
    expect(await bobs).toBe('turn');
    expect(await owners).toBe('command');
  });

  it('in the DM where the same account waits for an answer, links at once, and the request ends for the person', async () => {
    world = startWorld(model);
    const { cairn, telegram, slack } = world;
    await cairn.gateway.receive(cmd(telegram, '100', 'link'));
    const code = /link code is ([A-Z0-9]{8})/.exec(telegram.texts().at(-1) ?? '')?.[1] ?? '';
    const turn = cairn.gateway.receive(dm(slack, 'U1', 'remember I deploy billing on Fridays'));
    await until(() => model.chatRequests().length >= 1);
    const linking = cairn.gateway.receive(cmd(slack, 'U1', 'link', code));
    await until(() => slack.texts().at(-1)?.startsWith('Linked') === true);
    release();
    expect(await turn).toBe('turn');
    expect(await linking).toBe('command');
    expect(slack.texts().at(-1)).toBe('Saved.');
    expect(cairn.notes.store.list('telegram:100').map((n) => n.text)).toEqual(['Deploys billing on Fridays.']);
  });
});
