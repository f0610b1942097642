/** "/forget all … I won't keep notes from what you said before now" holds after the account is linked. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { memoryReplies } from './helpers.js';

let model: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;
let slack: RecordingAdapter;

const dm = (adapter: RecordingAdapter, senderId: string, text: string, extra = {}) =>
  adapter.message(text, { senderId, userId: `${adapter.platform}:${senderId}`, conversationId: `${adapter.platform}:dm:${senderId}`, ...extra });
const cmd = (adapter: RecordingAdapter, senderId: string, name: string, args = '') => dm(adapter, senderId, `/${name}${args ? ` ${args}` : ''}`, { command: { name, args } });
const channel = (senderId: string, text: string, extra = {}) =>
  slack.message(text, { senderId, userId: `slack:${senderId}`, userName: senderId, conversationId: 'slack:T1:C1', isDirect: false, addressed: true, ...extra });

beforeEach(async () => {
  model = await startFakeModelServer();
});
afterEach(async () => {
  await cairn.close();
  await model.close();
});

describe('/forget all, then /link', () => {
  it('control: without the link, the channel conversation yields no note from before /forget all', async () => {
    model.setDefault(memoryReplies((transcript) => ({ notes: transcript.includes('divorce') ? [{ text: 'U1 is going through a divorce.', kind: 'fact' }] : [] })));
    cairn = startTestCairn(testConfig(model.url, { TELEGRAM_ALLOWED_USERS: '100', SLACK_ALLOWED_USERS: 'U1,U2', CAIRN_AUX_MODEL: 'aux-model', CAIRN_REFLECTION: 'off' }, tempDir()));
    slack = new RecordingAdapter('slack');
    cairn.gateway.attach(slack);
    await cairn.gateway.receive(channel('U2', 'morning all'));
    await cairn.gateway.receive(channel('U1', 'sorry I was out, I am going through a divorce'));
    cairn.manualClock.advance(1_000);
    await cairn.gateway.receive(cmd(slack, 'U1', 'forget', 'all'));
    await cairn.gateway.receive(channel('U2', '/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    expect(cairn.notes.store.list('slack:U1')).toEqual([]);
  });

  it('what the person said in a channel before /forget all does not become a note of the linked person', async () => {
    model.setDefault(memoryReplies((transcript) => ({ notes: transcript.includes('divorce') ? [{ text: 'U1 is going through a divorce.', kind: 'fact' }] : [] })));
    cairn = startTestCairn(testConfig(model.url, { TELEGRAM_ALLOWED_USERS: '100', SLACK_ALLOWED_USERS: 'U1,U2', CAIRN_AUX_MODEL: 'aux-model', CAIRN_REFLECTION: 'off' }, tempDir()));
    telegram = new RecordingAdapter('telegram');
    slack = new RecordingAdapter('slack');
    cairn.gateway.attach(telegram);
    cairn.gateway.attach(slack);

    // A channel conversation that U2 started; U1 says something she later regrets.
    expect(await cairn.gateway.receive(channel('U2', 'morning all'))).toBe('turn');
    expect(await cairn.gateway.receive(channel('U1', 'sorry I was out, I am going through a divorce'))).toBe('turn');
    // In a DM she wipes her memory: nothing said before now is to become a note.
    cairn.manualClock.advance(1_000);
    await cairn.gateway.receive(cmd(slack, 'U1', 'forget', 'all'));
    expect(cairn.notes.store.owner('slack:U1')?.forgottenAt).toBeDefined();
    // She links her Slack account to her Telegram one.
    cairn.manualClock.advance(1_000);
    await cairn.gateway.receive(cmd(telegram, '100', 'link'));
    const code = /link code is ([A-Z0-9]{8})/.exec(telegram.texts().at(-1) ?? '')?.[1] ?? '';
    await cairn.gateway.receive(cmd(slack, 'U1', 'link', code));
    expect(slack.texts().at(-1)).toContain('Linked');
    // The channel conversation ends and is condensed.
    await cairn.gateway.receive(channel('U2', '/new', { command: { name: 'new', args: '' } }));
    await cairn.notes.idle();
    expect(cairn.notes.store.list('telegram:100').map((note) => note.text)).toEqual([]);
    expect(cairn.notes.store.list('slack:U1').map((note) => note.text)).toEqual([]);
  });
});
