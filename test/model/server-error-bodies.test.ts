/**
 * vLLM and SGLang put an error's words at the top of the body (`{"object": "error", "message": …}`),
 * FastAPI servers under `detail`; the openai package reads them under `error` only, and the failure
 * came out as "400 status code (no body)". The operator never saw why, and an unknown model sent
 * as a 400 read as a bad request.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { providerAt, rejectionOf, testClient } from './harness.js';
import { inOpenAIShape } from '../../src/model/error-body-fetch.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const ask = { messages: [{ role: 'user' as const, content: 'hello' }] };
const vllm = (message: string, code = 400) => ({ object: 'error', message, type: 'BadRequestError', param: null, code });

describe('error bodies of OpenAI-compatible servers', () => {
  it("keep vLLM's words (streamed or not)", async () => {
    const words = "This model's maximum context length is 8192 tokens. However, you requested 9000 tokens.";
    server.setDefault(() => ({ error: { status: 400, body: vllm(words) } }));
    const { client } = testClient([providerAt(server.url)]);
    const plain = await rejectionOf(client.complete(ask));
    expect(plain.message).toContain(words);
    expect(plain.code).toBe('bad_request');
    const streamed = await rejectionOf(client.complete({ ...ask, onTextDelta: () => {} }));
    expect(streamed.message).toContain(words);
  });

  it('read an unknown model sent as a 400 at the top of the body as an unknown model', async () => {
    server.setDefault(() => ({ error: { status: 400, body: vllm('The model `llama3` does not exist.') } }));
    const { client } = testClient([providerAt(server.url)]);
    expect((await rejectionOf(client.complete(ask))).code).toBe('not_found');
  });

  it("keep a FastAPI server's detail", async () => {
    server.setDefault(() => ({ error: { status: 422, body: { detail: [{ loc: ['body', 'messages'], msg: 'field required' }] } } }));
    const { client } = testClient([providerAt(server.url)]);
    expect((await rejectionOf(client.complete(ask))).message).toContain('field required');
  });

  it('leave bodies the package reads, and bodies that are no JSON, as they are', () => {
    const openai = JSON.stringify({ error: { message: 'Invalid API key', type: 'invalid_request_error', code: 'invalid_api_key' } });
    expect(inOpenAIShape(openai)).toBe(openai);
    expect(inOpenAIShape('{"error": "model not found"}')).toBe('{"error": "model not found"}');
    expect(inOpenAIShape('<html>Bad Gateway</html>')).toBe('<html>Bad Gateway</html>');
    expect(inOpenAIShape('[1,2]')).toBe('[1,2]');
  });
});
