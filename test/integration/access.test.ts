/** Default-deny access, DM pairing, admin-only commands, group gating and identity linking, at the gateway. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

const run = promisify(execFile);
let model: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;
let slack: RecordingAdapter;
let dataDir: string;

beforeEach(async () => {
  model = await startFakeModelServer();
  dataDir = tempDir();
  cairn = startTestCairn(testConfig(model.url, { TELEGRAM_ALLOWED_USERS: '100', TELEGRAM_ADMIN_USERS: '1', SLACK_ALLOWED_USERS: 'U1' }, dataDir));
  telegram = new RecordingAdapter('telegram');
  slack = new RecordingAdapter('slack');
  cairn.gateway.attach(telegram);
  cairn.gateway.attach(slack);
});
afterEach(async () => {
  await cairn.close();
  await model.close();
});

const dm = (adapter: RecordingAdapter, senderId: string, text: string, extra = {}) =>
  adapter.message(text, { senderId, userId: `${adapter.platform}:${senderId}`, conversationId: `${adapter.platform}:dm:${senderId}`, ...extra });

describe('DM pairing', () => {
  it('gives an unknown user a code and no model reply, and the same code until it expires', async () => {
    expect(await cairn.gateway.receive(dm(telegram, '555', 'hello?'))).toBe('pairing');
    expect(await cairn.gateway.receive(dm(telegram, '555', 'hello again'))).toBe('pairing');
    const [first, second] = telegram.texts();
    const code = /pairing code is ([A-Z0-9]{8})/.exec(first ?? '')?.[1];
    expect(code).toBeDefined();
    expect(second).toContain(code);
    // As the README writes every command (`cairn` alone is found only when installed globally).
    expect(first).toContain(`Ask the operator to run: npx cairn pairing approve ${code}`);
    expect(model.chatRequests()).toHaveLength(0);
    cairn.manualClock.advance(61 * 60_000);
    await cairn.gateway.receive(dm(telegram, '555', 'still me'));
    expect(telegram.texts()[2]).not.toContain(code);
    expect(() => cairn.access.pairing.approve(code!, 'test', cairn.manualClock.now())).toThrow(/expired/);
  });

  it('tells a user who writes again how long their code has left, not the full validity again', async () => {
    await cairn.gateway.receive(dm(telegram, '556', 'hello?'));
    cairn.manualClock.advance(55 * 60_000 + 1);
    await cairn.gateway.receive(dm(telegram, '556', 'anyone?'));
    const [first, again] = telegram.texts();
    const code = /pairing code is (\w+)/.exec(first ?? '')?.[1];
    expect(first).toContain(`${code} (valid for 60 minutes)`);
    // Rounded up: an operator told "4 minutes" with 4.99 left would not be surprised by "expired".
    expect(again).toContain(`${code} (still valid for 5 minutes)`);
    cairn.manualClock.advance(4 * 60_000);
    await cairn.gateway.receive(dm(telegram, '556', 'last call'));
    expect(telegram.texts()[2]).toContain(`${code} (still valid for 1 minute)`);
  });

  it('refuses a wrong code with what to do', () => {
    expect(() => cairn.access.pairing.approve('NOPE0000', 'test', cairn.manualClock.now())).toThrow(/cairn pairing list/);
  });

  it('approves a code typed with O for 0 and I for 1', async () => {
    await cairn.gateway.receive(dm(telegram, '778', 'hello'));
    // The code made is random: it is set to one holding a 0 and a 1.
    cairn.db.prepare("UPDATE pairing_requests SET code = '7KQ20V1X' WHERE user_id = '778'").run();
    expect(cairn.access.pairing.approve('7kq2 ov ix', 'test', cairn.manualClock.now())).toMatchObject({ code: '7KQ20V1X', userId: '778' });
  });

  it('is approved by `cairn pairing approve` in another process while the bot runs', async () => {
    // The CLI reads the real clock; keep the code valid for it.
    cairn.manualClock.set(Date.now());
    await cairn.gateway.receive(dm(telegram, '777', 'let me in'));
    const code = /pairing code is ([A-Z0-9]{8})/.exec(telegram.texts()[0] ?? '')?.[1] ?? '';
    const listed = await run(process.execPath, ['bin/cairn.js', 'pairing', 'list', '--json'], { env: { PATH: process.env.PATH ?? '', CAIRN_DATA_DIR: dataDir } });
    expect(JSON.parse(listed.stdout)).toEqual([expect.objectContaining({ code, platform: 'telegram', userId: '777' })]);
    const approved = await run(process.execPath, ['bin/cairn.js', 'pairing', 'approve', code.toLowerCase()], { env: { PATH: process.env.PATH ?? '', CAIRN_DATA_DIR: dataDir } });
    expect(approved.stdout).toContain('Approved');
    // No Telegram admins are set (this process's environment has none): the operator is told how to become one.
    expect(approved.stdout).toMatch(/\ntelegram has no admins yet \(.*\): to make .* one, set TELEGRAM_ADMIN_USERS=777 and restart Cairn\.\n$/);
    expect(await cairn.gateway.receive(dm(telegram, '777', 'thanks'))).toBe('turn');
    expect(telegram.texts().at(-1)).toBe('echo: thanks');

    const env = { env: { PATH: process.env.PATH ?? '', CAIRN_DATA_DIR: dataDir } };
    const who = await run(process.execPath, ['bin/cairn.js', 'pairing', 'approved', '--json'], env);
    expect(JSON.parse(who.stdout)).toEqual([{ platform: 'telegram', userId: '777', userName: expect.any(String), approvedAt: expect.stringMatching(/^\d{4}-/), approvedBy: expect.stringMatching(/^cli:/) }]);
    expect((await run(process.execPath, ['bin/cairn.js', 'pairing', 'revoke', 'telegram', '777'], env)).stdout).toBe('Revoked telegram user 777.\n');
    expect((await run(process.execPath, ['bin/cairn.js', 'pairing', 'approved'], env)).stdout).toBe('Nobody was let in by pairing yet.\n');
    expect(await cairn.gateway.receive(dm(telegram, '777', 'still there?'))).toBe('pairing');
    // Six CLI processes, each loading Cairn: about 10 s alone, past the default 20 s on a loaded machine.
  }, 90_000);
});

describe('allowlists and admins', () => {
  it('lets allowlisted users in and ignores unknown users in groups', async () => {
    expect(await cairn.gateway.receive(dm(telegram, '100', 'hi'))).toBe('turn');
    const group = { isDirect: false, addressed: true, conversationId: 'telegram:-42' };
    expect(await cairn.gateway.receive(dm(telegram, '999', 'hey bot', group))).toBe('denied');
    expect(telegram.texts()).toEqual(['echo: hi']);
  });

  it('answers in groups only when addressed', async () => {
    const group = { isDirect: false, conversationId: 'telegram:-42' };
    expect(await cairn.gateway.receive(dm(telegram, '100', 'chatting among ourselves', group))).toBe('not-addressed');
    expect(await cairn.gateway.receive(dm(telegram, '100', 'what do you think?', { ...group, addressed: true }))).toBe('turn');
    // A bare /word is run when it is Cairn's command; one that is not (a path, another bot's) gets no "Unknown command".
    expect(await cairn.gateway.receive(dm(telegram, '100', '/tmp is full again', { ...group, command: { name: 'tmp', args: 'is full again' } }))).toBe('not-addressed');
    expect(await cairn.gateway.receive(dm(telegram, '100', '/usage', { ...group, command: { name: 'usage', args: '' } }))).toBe('command');
    expect(telegram.texts()).toHaveLength(2);
    expect(telegram.texts()[1]).toMatch(/^Today/);
  });

  it('keeps admin-only commands and tools for admins', async () => {
    cairn.commands.register({ name: 'secret', description: 'admin thing', adminOnly: true, run: () => 'admin stuff done' });
    await cairn.gateway.receive(dm(telegram, '100', '/secret', { command: { name: 'secret', args: '' } }));
    await cairn.gateway.receive(dm(telegram, '1', '/secret', { command: { name: 'secret', args: '' } }));
    expect(telegram.texts()[0]).toContain('only for admins');
    expect(telegram.texts()[1]).toBe('admin stuff done');
  });
});

describe('identity linking', () => {
  it("brings the joining account's scheduled tasks and today's usage to the person it joins", async () => {
    const requester = { conversationId: 'slack:dm:U1', platform: 'slack', identity: 'slack:U1', senderId: 'U1', userName: 'ana', isDirect: true, person: 'slack:U1', isAdmin: false };
    const task = cairn.schedules.create(requester, { prompt: 'Post the standup notes.', cron: '0 9 * * 1-5' });
    cairn.ledger.record({ provider: 'custom', model: 'm', purpose: 'chat', usage: { promptTokens: 900, completionTokens: 100, cachedTokens: 0 }, costUsd: undefined, durationMs: 1, ok: true, errorCode: undefined, sessionId: undefined, userKey: 'slack:U1', attempt: 1 });
    await cairn.gateway.receive(dm(telegram, '100', '/link', { command: { name: 'link', args: '' } }));
    const code = /link code is ([A-Z0-9]{8})/.exec(telegram.texts()[0] ?? '')?.[1] ?? '';
    await cairn.gateway.receive(dm(slack, 'U1', `/link ${code}`, { command: { name: 'link', args: code } }));
    expect(cairn.access.personOf('slack:U1')).toBe('telegram:100');
    // Today's tokens still count against the (now shared) allowance.
    expect(cairn.ledger.userTotals('telegram:100', 0).tokens).toBe(1_000);
    // The account that set the task cancels it, as before.
    expect(cairn.schedules.cancel({ ...requester, person: 'telegram:100' }, task.id)).toMatch(/^Cancelled task #/);
  });

  it("gives an account's scheduled tasks back to it at /unlink (they counted against the person it left)", async () => {
    const requester = { conversationId: 'slack:dm:U1', platform: 'slack', identity: 'slack:U1', senderId: 'U1', userName: 'ana', isDirect: true, person: 'slack:U1', isAdmin: false };
    await cairn.gateway.receive(dm(telegram, '100', '/link', { command: { name: 'link', args: '' } }));
    const code = /link code is ([A-Z0-9]{8})/.exec(telegram.texts()[0] ?? '')?.[1] ?? '';
    await cairn.gateway.receive(dm(slack, 'U1', `/link ${code}`, { command: { name: 'link', args: code } }));
    const linked = { ...requester, person: 'telegram:100' };
    const slackTask = cairn.schedules.create(linked, { prompt: 'Post the standup notes.', cron: '0 9 * * 1-5' });
    const telegramTask = cairn.schedules.create({ ...linked, conversationId: 'telegram:dm:100', platform: 'telegram', identity: 'telegram:100', senderId: '100' }, { prompt: 'Water the plants.', cron: '0 18 * * *' });
    await cairn.gateway.receive(dm(slack, 'U1', '/unlink', { command: { name: 'unlink', args: '' } }));
    expect(cairn.schedules.store.activeOf('slack:U1').map((task) => task.id)).toEqual([slackTask.id]);
    expect(cairn.schedules.store.activeOf('telegram:100').map((task) => task.id)).toEqual([telegramTask.id]);
    // The person it left can no longer cancel it; the account can.
    expect(cairn.schedules.cancel({ ...linked, identity: 'telegram:100', senderId: '100', platform: 'telegram', conversationId: 'telegram:dm:100' }, slackTask.id)).not.toMatch(/^Cancelled task #/);
    expect(cairn.schedules.cancel(requester, slackTask.id)).toMatch(/^Cancelled task #/);
  });

  it('links two platform accounts into one person, and unlinks them', async () => {
    cairn.tools.register({ name: 'whoami', description: 'the user key', parameters: z.object({}), execute: (_args, context) => context.userId });
    cairn.notes.save('slack:U1', { text: 'Prefers answers in French', kind: 'preference', now: cairn.manualClock.now() });
    // In a group, anyone could take the code and become that person: it is given in a DM only.
    await cairn.gateway.receive(dm(telegram, '100', '/link', { command: { name: 'link', args: '' }, isDirect: false, addressed: true, conversationId: 'telegram:-42' }));
    expect(telegram.texts()[0]).toBe('I only give link codes in a direct message: anyone here could use it to become you. Send me /link there.');
    await cairn.gateway.receive(dm(telegram, '100', '/link', { command: { name: 'link', args: '' } }));
    const code = /link code is ([A-Z0-9]{8})/.exec(telegram.texts()[1] ?? '')?.[1] ?? '';
    await cairn.gateway.receive(dm(slack, 'U1', `/link ${code}`, { command: { name: 'link', args: code } }));
    expect(slack.texts()[0]).toContain('Linked');
    model.enqueue({ toolCalls: [{ name: 'whoami', arguments: {} }] }, { text: 'ok' });
    await cairn.gateway.receive(dm(slack, 'U1', 'who am I?'));
    const toolResult = model.chatRequests().at(-1)?.messages.find((m: { role: string }) => m.role === 'tool');
    expect(toolResult?.content).toBe('telegram:100');
    // The notes of the account that joined follow the person.
    expect(cairn.notes.store.list('telegram:100').map((n) => n.text)).toEqual(['Prefers answers in French']);
    expect(cairn.notes.store.list('slack:U1')).toEqual([]);
    await cairn.gateway.receive(dm(slack, 'U1', '/unlink', { command: { name: 'unlink', args: '' } }));
    expect(cairn.access.personOf('slack:U1')).toBe('slack:U1');
    await cairn.gateway.receive(dm(slack, 'U1', `/link ${code}`, { command: { name: 'link', args: code } }));
    expect(slack.texts().at(-1)).toContain('unknown or expired');
  });
});
