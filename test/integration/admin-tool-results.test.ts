/**
 * Terminal and file tools are admin-only. In a group's shared session what an admin had them do
 * (the command, and its raw output) must not reach a later non-admin's request, nor the summary
 * everyone's requests carry: the non-admin would read, through the model, what only admins may run.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN_ONLY_RESULT } from '../../src/core/prompt.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';

let server: FakeModelServer;
let cairn: TestCairn;
let telegram: RecordingAdapter;

const start = async (env: Record<string, string> = {}) => {
  cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', CAIRN_SESSION_IDLE_MINUTES: '100000', TELEGRAM_ALLOWED_USERS: '100', TELEGRAM_ADMIN_USERS: '1,2', ...env }));
  telegram = new RecordingAdapter('telegram');
  cairn.gateway.attach(telegram);
};
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await cairn.close();
  await server.close();
});

const GROUP = 'telegram:-1001';
const SECRET = 'hunter2-secret';
const inGroup = (senderId: string, text: string) =>
  telegram.message(text, { senderId, userId: `telegram:${senderId}`, userName: `user${senderId}`, conversationId: GROUP, isDirect: false, addressed: true });
const lastRequestMessages = () => JSON.stringify(server.chatRequests().at(-1)?.messages);

/** Admin 1 has Cairn run a command whose output holds a secret. */
async function adminRunsCommand(): Promise<void> {
  server.enqueue({ toolCalls: [{ name: 'terminal', arguments: { command: `echo DB_PASSWORD=${SECRET}` } }] }, { text: 'The variable is set.' });
  expect(await cairn.gateway.receive(inGroup('1', 'is DB_PASSWORD set on the host?'))).toBe('turn');
  // The tool really ran, and the admin's own turn read its output.
  expect(lastRequestMessages()).toContain(`DB_PASSWORD=${SECRET}\\n`);
}

describe('an admin-only tool in a group', () => {
  it("does not put the admin's command or its raw output into a non-admin's prompt", async () => {
    await start();
    await adminRunsCommand();

    server.enqueue({ text: 'ok' });
    expect(await cairn.gateway.receive(inGroup('100', 'what exactly did that command print?'))).toBe('turn');
    const request = server.chatRequests().at(-1)!;
    // The non-admin is not offered the terminal…
    expect((request.tools as { function: { name: string } }[] | undefined)?.map((t) => t.function.name) ?? []).not.toContain('terminal');
    // …and cannot read what it printed for the admin either; the call stays, paired with a note saying why.
    const messages = request.messages as { role: string; content: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
    expect(JSON.stringify(messages)).not.toContain(SECRET);
    const call = messages.flatMap((m) => m.tool_calls ?? []).find((c) => c.function.name === 'terminal');
    expect(call?.function.arguments).toBe('{}');
    expect(messages.find((m) => m.role === 'tool' && m.tool_call_id === call?.id)?.content).toBe(ADMIN_ONLY_RESULT);
    // The admin's answer in the chat was for everyone, and stays.
    expect(JSON.stringify(messages)).toContain('The variable is set.');
  });

  it('still shows the command and its output to another admin later in the group', async () => {
    await start();
    await adminRunsCommand();

    server.enqueue({ text: 'It printed the password.' });
    expect(await cairn.gateway.receive(inGroup('2', 'what exactly did that command print?'))).toBe('turn');
    expect(lastRequestMessages()).toContain(`echo DB_PASSWORD=${SECRET}`);
    expect(lastRequestMessages()).toContain(`DB_PASSWORD=${SECRET}\\n`);
    expect(lastRequestMessages()).not.toContain(ADMIN_ONLY_RESULT);
  });

  it('keeps the command and its output out of the shared summary', async () => {
    await start({ CAIRN_CONTEXT_TOKENS: '4000' });
    await adminRunsCommand();

    // Long enough to compress: the summary every later speaker reads must not carry the output.
    server.setDefault((request) => {
      const first = (request.body as { messages: { content: string }[] }).messages[0]?.content ?? '';
      return { text: first.startsWith('You compress') ? 'SUMMARY: an admin checked an environment variable.' : 'ok' };
    });
    for (let i = 0; i < 8; i++) await cairn.gateway.receive(inGroup('100', `filler message ${i} ${'words '.repeat(120)}`));
    const summaries = server.chatRequests().filter((body) => String(body.messages[0].content).startsWith('You compress'));
    expect(summaries.length).toBeGreaterThan(0);
    for (const body of summaries) expect(JSON.stringify(body)).not.toContain(SECRET);
    // The first fold holds the admin's turn: the call by name, the result replaced.
    expect(String(summaries[0]?.messages[1].content)).toMatch(/\[called terminal\][\s\S]*Tool result: \(for admins only; omitted\)/);
    expect(lastRequestMessages()).not.toContain(SECRET);
  });

  it("keeps it in the summary of an admin's direct chat, where nobody else reads it", async () => {
    await start({ CAIRN_CONTEXT_TOKENS: '4000' });
    const dm = (text: string) => telegram.message(text, { senderId: '1', userId: 'telegram:1', userName: 'user1', conversationId: 'telegram:dm:1', isDirect: true });
    server.enqueue({ toolCalls: [{ name: 'terminal', arguments: { command: `echo DB_PASSWORD=${SECRET}` } }] }, { text: 'The variable is set.' });
    expect(await cairn.gateway.receive(dm('is DB_PASSWORD set on the host?'))).toBe('turn');
    server.setDefault((request) => {
      const first = (request.body as { messages: { content: string }[] }).messages[0]?.content ?? '';
      return { text: first.startsWith('You compress') ? 'SUMMARY' : 'ok' };
    });
    for (let i = 0; i < 8; i++) await cairn.gateway.receive(dm(`filler message ${i} ${'words '.repeat(120)}`));
    const summaries = server.chatRequests().filter((body) => String(body.messages[0].content).startsWith('You compress'));
    expect(String(summaries[0]?.messages[1].content)).toContain(`DB_PASSWORD=${SECRET}`);
  });
});
