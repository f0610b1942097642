/**
 * What a turn's tool calls leave in the session history, as later requests replay it.
 * A history a server refuses is refused on every later request of the conversation.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';

let server: FakeModelServer;
const running: TestCairn[] = [];

beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await Promise.all(running.splice(0).map((c) => c.close()));
  await server.close();
});

function start(env: Record<string, string> = {}): TestCairn {
  const cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off', CAIRN_AUDIT_EVERY: '0', CAIRN_MAX_RETRIES: '0', ...env }));
  running.push(cairn);
  return cairn;
}

type WireMessage = { role: string; content: string | null; tool_call_id?: string; tool_calls?: { id: string; function: { name: string; arguments: string } }[] };

describe('tool calls in the history', () => {
  it('keeps a conversation answering after the model once wrote tool-call arguments that are not JSON', async () => {
    // vLLM (chat_utils._postprocess_messages) and Ollama parse every replayed tool call's
    // `arguments` as JSON before applying the chat template, and refuse the request when they
    // are not. Models write broken JSON now and then (or are cut off mid-arguments at max tokens).
    const cairn = start();
    server.setDefault((request) => {
      const messages = ((request.body as ChatBody).messages ?? []) as WireMessage[];
      for (const call of messages.flatMap((m) => m.tool_calls ?? [])) {
        try {
          JSON.parse(call.function.arguments);
        } catch {
          return { error: { status: 400, body: { error: { message: "Expecting ',' delimiter: line 1 column 20 (char 19)", type: 'BadRequestError' } } } };
        }
      }
      return { text: 'answered' };
    });
    server.enqueue({ toolCalls: [{ name: 'current_time', arguments: '{"timeZone": "UTC"' }] });
    const first = await cairn.gateway.receive(cairn.adapter.message('what time is it?'));
    const second = await cairn.gateway.receive(cairn.adapter.message('hello again'));
    expect(cairn.adapter.texts()).toEqual(['answered', 'answered']);
    expect([first, second]).toEqual(['turn', 'turn']);
    // The model is told what was wrong, and its call is replayed with the text it wrote.
    const replayed = (server.chatRequests()[1]?.messages as WireMessage[]).filter((m) => m.role === 'tool' || m.tool_calls);
    expect(replayed[0]?.tool_calls?.[0]?.function.arguments).toBe(JSON.stringify({ unparsed_arguments: '{"timeZone": "UTC"' }));
    expect(replayed[1]?.content).toMatch(/^The arguments for current_time are not valid JSON/);
  });

  it('gives each of two parallel calls that came with the same id its own result', async () => {
    // DeepSeek, GLM and Kimi endpoints have been seen to reuse one id for parallel calls.
    const cairn = start();
    cairn.tools.register({ name: 'lookup', description: 'looks a key up', parameters: z.object({ key: z.string() }), execute: ({ key }) => `value of ${key}` });
    server.enqueue(
      {
        toolCalls: [
          { id: 'call_0', name: 'lookup', arguments: { key: 'alpha' } },
          { id: 'call_0', name: 'lookup', arguments: { key: 'beta' } },
        ],
      },
      { text: 'Both looked up.' },
    );
    await cairn.gateway.receive(cairn.adapter.message('look up alpha and beta'));
    const followUp = server.chatRequests()[1]?.messages as WireMessage[];
    const results = followUp.filter((m) => m.role === 'tool');
    const calls = followUp.flatMap((m) => m.tool_calls ?? []);
    // The model sees both results, each answering its own call (ids unique, as providers require).
    expect(calls.map((c) => c.id)[0]).toBe('call_0');
    expect(new Set(calls.map((c) => c.id)).size).toBe(2);
    expect(results.map((m) => [m.tool_call_id, m.content])).toEqual(calls.map((c) => [c.id, `value of ${JSON.parse(c.function.arguments).key}`]));
  });
});
