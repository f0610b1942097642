/**
 * A <tool_call> block the model writes as text with broken JSON (no name), or a name such as
 * "functions.current_time", is a call the provider would refuse in the history: OpenAI-style
 * APIs refuse tool_calls[].function.name outside ^[a-zA-Z0-9_-]{1,64}$, and every later message
 * of the conversation failed until /new. The name is mended before the call is recorded.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer, type FakeReply, type RecordedRequest } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';

/** Checks the history as OpenAI does, then echoes. */
function openAiLike(request: RecordedRequest): FakeReply {
  const body = request.body as { messages: { role: string; content: string | null; tool_calls?: { function: { name: string } }[] }[] };
  for (const [index, message] of body.messages.entries()) {
    for (const [n, call] of (message.tool_calls ?? []).entries()) {
      if (!/^[a-zA-Z0-9_-]{1,64}$/.test(call.function.name)) {
        return { error: { status: 400, body: { error: { message: `Invalid 'messages[${index}].tool_calls[${n}].function.name': string does not match pattern. Expected a string that matches the pattern '^[a-zA-Z0-9_-]+$'.`, type: 'invalid_request_error', param: `messages[${index}].tool_calls[${n}].function.name`, code: 'invalid_value' } } } };
      }
    }
  }
  const last = body.messages.at(-1);
  return { text: last?.role === 'tool' ? 'That did not work; let me answer directly.' : `echo: ${last?.content}` };
}

let server: FakeModelServer;
let cairn: TestCairn | undefined;
beforeEach(async () => {
  server = await startFakeModelServer({ defaultReply: openAiLike });
});
afterEach(async () => {
  await cairn?.close();
  cairn = undefined;
  await server.close();
});

for (const [what, block] of [
  ['broken JSON (name "")', '<tool_call>{name: current_time, arguments: {}}</tool_call>'],
  ['a dotted name', '<tool_call>{"name": "functions.current_time", "arguments": {}}</tool_call>'],
] as const) {
  it(`a text tool call with ${what} does not break the conversation`, async () => {
    cairn = startTestCairn(testConfig(server.url, { CAIRN_REFLECTION: 'off' }));
    server.enqueue({ text: `Let me check.\n${block}` });
    await cairn.gateway.receive(cairn.adapter.message('what time is it?'));
    await cairn.gateway.receive(cairn.adapter.message('hello again'));
    expect(cairn.adapter.texts()).toEqual(['That did not work; let me answer directly.', 'echo: hello again']);
  });
}
