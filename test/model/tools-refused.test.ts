/**
 * Default tool mode `auto` against servers that serve the model without native tool support.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../fakes/model-server.js';
import { clockTool, providerAt, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

/** Refuses any request that carries `tools`, as the server named does; answers a <tool_call> block otherwise. */
function refusesTools(message: string) {
  return (request: RecordedRequest) =>
    (request.body as { tools?: unknown }).tools !== undefined
      ? { error: { status: 400, body: { error: { message, type: 'invalid_request_error', param: null, code: null } } } }
      : { text: '<tool_call>\n{"name": "clock", "arguments": {"tz": "UTC"}}\n</tool_call>' };
}

describe('auto tool mode, model served without tool support', () => {
  it.each([
    ['Ollama', 'registry.ollama.ai/library/gemma3:4b does not support tools'],
    ['vLLM without --enable-auto-tool-choice', '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'],
  ])('%s: describes the tools in the prompt instead of failing every turn with a 400', async (_server, message) => {
    server.setDefault(refusesTools(message));
    const { client } = testClient([providerAt(server.url, { toolMode: 'auto' })]);
    const result = await client.complete({ messages: [{ role: 'user', content: 'what time is it?' }], tools: [clockTool] });
    expect(result.toolCalls).toMatchObject([{ name: 'clock', arguments: '{"tz":"UTC"}' }]);
  });
});
