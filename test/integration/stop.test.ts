/**
 * /stop: the person who asked (or an admin) stops the turn running in a conversation,
 * during a model call or a command on the back end; the conversation goes on from
 * what was done, and nobody else can stop someone's request.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { InboundMessage } from '../../src/core/message.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { ManualTimers } from '../backends/helpers.js';

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;

beforeEach(async () => {
  server = await startFakeModelServer();
  telegram = new RecordingAdapter('telegram');
  // Reflection off: its model calls would take the scripted replies meant for the turns.
  cairn = startTestCairn(testConfig(server.url, { TELEGRAM_ALLOWED_USERS: '2,3', TELEGRAM_ADMIN_USERS: '1', CAIRN_REFLECTION: 'off' }), { timers: new ManualTimers() });
  cairn.gateway.attach(telegram);
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const GROUP = 'telegram:group:-100';
const from = (senderId: string, text: string, conversationId = `telegram:dm:${senderId}`): InboundMessage => {
  const command = /^\/(\w+)\s*(.*)$/.exec(text);
  return telegram.message(text, {
    senderId,
    userId: `telegram:${senderId}`,
    conversationId,
    isDirect: !conversationId.includes('group'),
    addressed: true,
    ...(command ? { command: { name: command[1] ?? '', args: command[2] ?? '' } } : {}),
  });
};
const requestsSoFar = () => server.chatRequests().length;

describe('/stop', () => {
  it('stops a turn waiting on the model; the next message goes on from there', async () => {
    server.enqueue({ hang: true });
    const turn = cairn.gateway.receive(from('2', 'write me a long essay'));
    await vi.waitFor(() => expect(requestsSoFar()).toBe(1));

    expect(await cairn.gateway.receive(from('2', '/stop'))).toBe('command');
    expect(await turn).toBe('stopped');
    // The stop's answer, then the request's own (not an error): platforms may hold a placeholder for it.
    expect(telegram.sent.map((sent) => [sent.reply.replyTo, sent.reply.text, sent.reply.isError ?? false])).toEqual([
      ['m2', 'OK, stopping.', false],
      ['m1', 'Stopped. What I did so far stays in this conversation.', false],
    ]);

    await cairn.gateway.receive(from('2', 'a short one then'));
    // The stopped question stays, joined to the next one: chat templates require user and assistant to alternate.
    expect(telegram.texts().at(-1)).toBe('echo: write me a long essay\n\na short one then');
    const sent = server.chatRequests().at(-1)?.messages.map((m: { role: string; content: string }) => [m.role, m.content]);
    expect(sent.slice(1)).toEqual([['user', 'write me a long essay\n\na short one then']]);
    expect(await cairn.gateway.receive(from('2', '/stop'))).toBe('command');
    expect(telegram.texts().at(-1)).toBe('Nothing is running in this conversation.');
  });

  it('stops a command running on the back end; its result and the tool call stay paired', async () => {
    server.enqueue({ toolCalls: [{ id: 'call_1', name: 'terminal', arguments: { command: 'echo started; sleep 30' } }] });
    const turn = cairn.gateway.receive(from('1', 'run the long job'));
    await vi.waitFor(() => expect(cairn.db.prepare("SELECT COUNT(*) AS n FROM messages WHERE role = 'assistant'").get()).toEqual({ n: 1 }));
    const started = Date.now();
    await cairn.gateway.receive(from('1', '/stop'));
    expect(await turn).toBe('stopped');
    // Killed, not waited for (the command sleeps 30 s).
    expect(Date.now() - started).toBeLessThan(10_000);

    await cairn.gateway.receive(from('1', 'what happened?'));
    const messages = server.chatRequests().at(-1)?.messages as { role: string; tool_calls?: { id: string }[]; tool_call_id?: string; content: string }[];
    const call = messages.findIndex((m) => m.role === 'assistant' && m.tool_calls?.[0]?.id === 'call_1');
    expect(messages[call + 1]).toMatchObject({ role: 'tool', tool_call_id: 'call_1' });
    expect(messages.at(-1)).toMatchObject({ role: 'user', content: 'what happened?' });
  });

  it("lets nobody else stop a member's request in a group, except an admin", async () => {
    server.enqueue({ hang: true });
    const turn = cairn.gateway.receive(from('2', 'summarize the thread', GROUP));
    await vi.waitFor(() => expect(requestsSoFar()).toBe(1));

    await cairn.gateway.receive(from('3', '/stop', GROUP));
    expect(telegram.texts().at(-1)).toBe('Only the person who asked, or an admin, can stop this.');
    // The refused command ended nothing the platform shows of the running turn (its draft, its typing).
    expect(telegram.events.filter((e) => e.event.type === 'done')).toEqual([]);
    await cairn.gateway.receive(from('1', '/stop', GROUP));
    expect(await turn).toBe('stopped');
    expect(telegram.events.filter((e) => e.event.type === 'done')).toHaveLength(1);
    expect(telegram.texts().slice(-2)).toEqual(['OK, stopping.', 'Stopped. What I did so far stays in this conversation.']);
  });
});
