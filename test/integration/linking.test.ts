/** Identity linking: what follows the person when accounts are linked and unlinked. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { memoryReplies } from '../memory/helpers.js';
import type { InboundFile } from '../../src/core/message.js';

let model: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;
let slack: RecordingAdapter;
let discord: RecordingAdapter;

const dm = (adapter: RecordingAdapter, senderId: string, text: string, extra = {}) =>
  adapter.message(text, { senderId, userId: `${adapter.platform}:${senderId}`, conversationId: `${adapter.platform}:dm:${senderId}`, ...extra });
const cmd = (adapter: RecordingAdapter, senderId: string, name: string, args = '') =>
  dm(adapter, senderId, `/${name}${args ? ` ${args}` : ''}`, { command: { name, args } });

async function link(issuer: [RecordingAdapter, string], redeemer: [RecordingAdapter, string]): Promise<void> {
  await cairn.gateway.receive(cmd(issuer[0], issuer[1], 'link'));
  const code = /link code is ([A-Z0-9]{8})/.exec(issuer[0].texts().at(-1) ?? '')?.[1] ?? '';
  expect(code).not.toBe('');
  await cairn.gateway.receive(cmd(redeemer[0], redeemer[1], 'link', code));
  expect(redeemer[0].texts().at(-1)).toContain('Linked');
}

function start(env: Record<string, string> = {}) {
  cairn = startTestCairn(
    testConfig(model.url, { TELEGRAM_ALLOWED_USERS: '100', SLACK_ALLOWED_USERS: 'U1', DISCORD_ALLOWED_USERS: '801', CAIRN_AUX_MODEL: 'aux-model', CAIRN_REFLECTION: 'off', ...env }, tempDir()),
  );
  telegram = new RecordingAdapter('telegram');
  slack = new RecordingAdapter('slack');
  discord = new RecordingAdapter('discord');
  cairn.gateway.attach(telegram);
  cairn.gateway.attach(slack);
  cairn.gateway.attach(discord);
}

beforeEach(async () => {
  model = await startFakeModelServer();
});
afterEach(async () => {
  await cairn.close();
  await model.close();
});

describe('linking in the middle of a conversation', () => {
  it('notes from a conversation that was going on when the account was linked reach the linked person', async () => {
    const tabs = { notes: [{ text: 'Prefers tabs over spaces in Python.', kind: 'preference' }] };
    model.setDefault(memoryReplies((transcript) => (transcript.includes('tabs') ? tabs : { notes: [] })));
    start();
    // The user talks to Cairn on Slack, then links the Slack account to their Telegram one.
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'I always indent Python with tabs.'))).toBe('turn');
    await link([telegram, '100'], [slack, 'U1']);
    expect(cairn.access.personOf('slack:U1')).toBe('telegram:100');
    // The Slack conversation ends; its notes are condensed.
    await cairn.gateway.receive(cmd(slack, 'U1', 'new'));
    await cairn.notes.idle();
    // The note belongs to the person (shown by /memory on either account), not to a key nobody has any more.
    expect(cairn.notes.store.list('slack:U1').map((n) => n.text)).toEqual([]);
    expect(cairn.notes.store.list('telegram:100').map((n) => n.text)).toEqual([tabs.notes[0]!.text]);
  });

  it('/forget all after linking deletes the files the person sent from the account before it was linked', async () => {
    model.setDefault(memoryReplies(() => ({ notes: [] })));
    start({ CAIRN_KEEP_FILES_DAYS: '7', CAIRN_SESSION_IDLE_MINUTES: '100000' });
    const bytes = Buffer.from('salary: 123456\n'.repeat(10));
    const file: InboundFile = { label: 'a file (salary.txt)', fileName: 'salary.txt', contentType: 'text/plain', size: bytes.length, load: async () => bytes };
    expect(await cairn.gateway.receive(dm(slack, 'U1', 'read this', { attachments: [file.label], files: [file] }))).toBe('turn');
    const before = cairn.db.prepare('SELECT COUNT(*) AS n FROM attachments').get() as { n: number };
    expect(before.n).toBe(1);
    await link([telegram, '100'], [slack, 'U1']);
    await cairn.gateway.receive(cmd(slack, 'U1', 'forget', 'all'));
    const after = cairn.db.prepare('SELECT COUNT(*) AS n FROM attachments').get() as { n: number };
    expect(after.n).toBe(0);
  });
});

describe('unlinking', () => {
  it('the accounts that stay linked keep the person\'s notes when the account holding the person key leaves', async () => {
    model.setDefault(memoryReplies(() => ({ notes: [] })));
    start();
    // Telegram issues, Slack joins: the person key is telegram:100. Then Discord joins too.
    await link([telegram, '100'], [slack, 'U1']);
    await link([telegram, '100'], [discord, '801']);
    cairn.notes.save('telegram:100', { text: 'Works on the billing service.', kind: 'fact', now: cairn.manualClock.now() });
    expect(cairn.access.personOf('discord:801')).toBe('telegram:100');
    // The Telegram account leaves; Slack and Discord are still one person.
    await cairn.gateway.receive(cmd(telegram, '100', 'unlink'));
    const remaining = cairn.access.personOf('slack:U1');
    expect(cairn.access.personOf('discord:801')).toBe(remaining);
    // ... and that person still has their notes (as they would had Slack or Discord left instead).
    expect(cairn.notes.store.list(remaining).map((n) => n.text)).toEqual(['Works on the billing service.']);
  });
});
