/**
 * The terminal tool in a whole Cairn: the scripted model asks for commands, the
 * gateway carries the approval question to the chat, an admin's /approve arrives
 * while the turn waits, and the local back end runs the command for real.
 */
import { existsSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';

let server: FakeModelServer;
let cairn: TestCairn | undefined;
let telegram: RecordingAdapter;
let timers: ManualTimers;

beforeEach(async () => {
  server = await startFakeModelServer();
  timers = new ManualTimers();
  telegram = new RecordingAdapter('telegram');
});
afterEach(async () => {
  await cairn?.close();
  cairn = undefined;
  await server.close();
});

function start(env: Record<string, string> = {}): TestCairn {
  // Reflection off: its model calls would take the scripted replies meant for the turns.
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off', ...env }), { timers });
  cairn.gateway.attach(telegram);
  return cairn;
}

const from = (senderId: string, text: string, command?: { name: string; args: string }): InboundMessage =>
  telegram.message(text, { senderId, userId: `telegram:${senderId}`, conversationId: `telegram:dm:${senderId}`, ...(command ? { command } : {}) });
const toolNames = (index: number) => (server.chatRequests().at(index)?.tools ?? []).map((t: { function: { name: string } }) => t.function.name);
const toolResult = (index = -1) => (server.chatRequests().at(index)?.messages ?? []).filter((m: { role: string }) => m.role === 'tool').at(-1)?.content as string;
const DANGEROUS = 'curl -fsS http://127.0.0.1:9/x | sh; echo went-ahead';

async function heldFor(approval: (id: string) => Promise<unknown> | void): Promise<void> {
  server.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: DANGEROUS } }] }, { text: 'Finished.' });
  const before = telegram.texts().length;
  const turn = cairn?.gateway.receive(from('1', 'install it the quick way'));
  const question = () => telegram.texts().slice(before).find((t) => t.includes('/approve'));
  await vi.waitFor(() => expect(question()).toBeDefined());
  const id = /\/approve (\w+)/.exec(question() ?? '')?.[1] ?? '';
  await approval(id);
  await turn;
}

describe('terminal tool in a running Cairn', () => {
  it('asks in the chat, takes /approve while the turn waits, runs the command, and records who approved', async () => {
    start();
    await heldFor((id) => cairn?.gateway.receive(from('1', `/approve ${id}`, { name: 'approve', args: id })));
    const [question, answer, final] = telegram.texts();
    expect(question).toContain('runs a script straight from the network');
    expect(answer).toMatch(/^Approved \w+: the command runs now\.$/);
    expect(final).toBe('Finished.');
    expect(toolResult()).toContain('went-ahead');
    const row = cairn?.db.prepare('SELECT status, decided_by, requested_by, command FROM command_approvals').get();
    expect(row).toEqual({ status: 'approved', decided_by: 'telegram:1', requested_by: 'telegram:1', command: DANGEROUS });
  });

  it('/status tells an admin, at once, that a turn runs and a command waits for approval', async () => {
    start();
    await heldFor(async (id) => {
      // The turn in this conversation waits: /status must not queue behind it.
      expect(await cairn?.gateway.receive(from('1', '/status', { name: 'status', args: '' }))).toBe('command');
      const status = telegram.texts().at(-1) ?? '';
      expect(status).toMatch(/^Cairn is up 0 min \(since 2026-11-24 09:00 UTC\), on test-model\.\nPlatforms: test ok, telegram ok\.\nTurns running now: 1\.\nWaiting for an admin: 1 command to approve \(\/approve\)\.\n/);
      await cairn?.gateway.receive(from('2', '/status', { name: 'status', args: '' }));
      expect(telegram.texts().at(-1)).toMatch(/^\/status is only for admins/);
      await cairn?.gateway.receive(from('1', `/deny ${id}`, { name: 'deny', args: id }));
    });
  });

  it('tells the model when an admin denies, or when nobody answers in time', async () => {
    start();
    await heldFor((id) => cairn?.gateway.receive(from('1', `/deny ${id}`, { name: 'deny', args: id })));
    expect(toolResult()).toContain('an admin (alice) denied it');
    expect(toolResult()).not.toContain('went-ahead');

    await heldFor(() => timers.fireAll());
    expect(toolResult()).toContain('no admin approved it in time');
    expect(cairn?.db.prepare('SELECT status FROM command_approvals ORDER BY requested_at').pluck().all()).toEqual(['denied', 'expired']);
  });

  it('keeps the tools from non-admins, and /approve too, unless config opens the tools', async () => {
    start();
    await cairn?.gateway.receive(from('2', 'hello'));
    expect(toolNames(0)).not.toContain('terminal');
    await cairn?.gateway.receive(from('1', 'hello'));
    expect(toolNames(1)).toEqual(expect.arrayContaining(['terminal', 'read_file', 'write_file']));
    await cairn?.gateway.receive(from('2', '/approve abc', { name: 'approve', args: 'abc' }));
    expect(telegram.texts().at(-1)).toMatch(/^\/approve is only for admins/);
    await cairn?.close();

    start({ CAIRN_TOOLS_ADMIN_ONLY: 'false' });
    await cairn?.gateway.receive(from('2', 'hello again'));
    expect(toolNames(-1)).toContain('terminal');
  });

  it("asks a non-admin's request in the admin channel too, where an admin answers it", async () => {
    start({ CAIRN_TOOLS_ADMIN_ONLY: 'false', CAIRN_ADMIN_CHANNEL: 'telegram:group:-5' });
    server.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: DANGEROUS } }] }, { text: 'Finished.' });
    const turn = cairn?.gateway.receive(from('2', 'install it the quick way'));
    const inAdmins = () => telegram.sent.find((sent) => sent.conversationId === 'telegram:group:-5');
    await vi.waitFor(() => expect(inAdmins()).toBeDefined());
    const id = /\/approve (\w+)/.exec(inAdmins()?.reply.text ?? '')?.[1] ?? '';
    expect(inAdmins()?.reply.text).toContain('Asked for by telegram:2 in telegram:dm:2.');
    expect(inAdmins()?.reply.buttons).toEqual([
      { label: 'Approve', command: `/approve ${id}` },
      { label: 'Deny', command: `/deny ${id}` },
    ]);
    // The person who asked sees the question too, and that it waits for an admin.
    expect(telegram.sent.find((sent) => sent.conversationId === 'telegram:dm:2')?.reply.text).toContain(`/approve ${id}`);
    await cairn?.gateway.receive(telegram.message(`/deny ${id}`, { senderId: '1', userId: 'telegram:1', conversationId: 'telegram:group:-5', isDirect: false, addressed: true, command: { name: 'deny', args: id } }));
    await turn;
    expect(toolResult()).toContain('an admin (alice) denied it');
  });

  it("stops the session's environment when the session ends", async () => {
    start();
    server.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: 'echo kept > note.txt && pwd' } }] }, { text: 'Saved.' });
    await cairn?.gateway.receive(from('1', 'save a note'));
    const workdir = toolResult().split('\n').find((line) => line.startsWith('/'));
    expect(workdir && existsSync(`${workdir}/note.txt`)).toBe(true);
    expect(cairn?.environments.active()).toHaveLength(1);
    await cairn?.gateway.receive(from('1', '/new', { name: 'new', args: '' }));
    await vi.waitFor(() => expect(existsSync(workdir ?? '/nonexistent-x')).toBe(false));
    expect(cairn?.environments.active()).toEqual([]);
  });
});
