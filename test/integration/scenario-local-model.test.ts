/**
 * A self-hoster runs Cairn on a small box against a local model server instead of OpenAI:
 * Ollama's OpenAI-compatible /v1, llama.cpp's llama-server, vLLM. They run `cairn doctor`
 * before the server is up, while it loads the model, with a model not pulled yet, then chat
 * with a small model that writes its tool calls as text and reports no usage, and finally
 * run out of credit on the hosted provider they keep as primary with the local one behind it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { testConfig } from '../helpers/cairn.js';
import { providerAt, rejectionOf, testClient, clockTool } from '../model/harness.js';
import { checkModels } from '../../src/cli/doctor-models.js';
import { userFacingError } from '../../src/core/user-errors.js';

let local: FakeModelServer;
beforeEach(async () => {
  local = await startFakeModelServer();
});
afterEach(async () => {
  await local.close();
});

describe('a self-hoster with a local model server', () => {
  it('1. doctor before the server is started: it cannot be reached, start it', async () => {
    const gone = await startFakeModelServer();
    const url = gone.url;
    await gone.close();
    const [primary] = await checkModels(testConfig(url, { CAIRN_MODEL: 'qwen2.5:7b' }));
    expect(primary?.ok).toBe(false);
    expect(primary?.detail).toMatch(/cannot be reached: check CAIRN_BASE_URL and that the server is running/);
  });

  it('2. doctor while Ollama loads the model at its first request (no answer yet): not "cannot be reached"', async () => {
    local.setDefault(() => ({ hang: true }));
    // The probe waits at most CAIRN_REQUEST_TIMEOUT_MS (or 20 s): kept short here, the deadline is what fires.
    const [primary] = await checkModels(testConfig(local.url, { CAIRN_MODEL: 'qwen2.5:7b', CAIRN_REQUEST_TIMEOUT_MS: '50' }));
    expect(primary?.ok).toBe(false);
    expect(local.chatRequests()).toHaveLength(1);
    expect(primary?.detail).not.toMatch(/cannot be reached/);
    expect(primary?.detail).toMatch(/loading the model.*run this check again in a minute/);
  });

  it("3. doctor while llama.cpp's server loads the model (503 Loading model): says so, not \"check the provider settings\"", async () => {
    local.setDefault(() => ({ error: { status: 503, body: { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } } } }));
    const [primary] = await checkModels(testConfig(local.url, { CAIRN_MODEL: 'qwen2.5-1.5b-instruct-q4_k_m.gguf' }));
    expect(primary?.ok).toBe(false);
    expect(primary?.detail).toContain('Loading model');
    expect(primary?.detail).not.toContain('Check the provider settings');
    expect(primary?.detail).toMatch(/not ready.*loads the model/);
  });

  it('4. doctor with a model not pulled yet: the pulled ones are listed', async () => {
    local.setDefault(() => ({ error: { status: 404, body: { error: { message: 'model "llama3.2" not found, try pulling it first', type: 'api_error', param: null, code: null } } } }));
    local.setModels(['qwen2.5:7b', 'nomic-embed-text:latest']);
    const [primary] = await checkModels(testConfig(local.url, { CAIRN_MODEL: 'llama3.2' }));
    expect(primary?.detail).toMatch(/try pulling it first.*serves qwen2\.5:7b, nomic-embed-text:latest: set CAIRN_MODEL/);
  });

  it('5. a small model writes its tool call as text and reports no usage: the call runs, the cost is unknown, not made up', async () => {
    const { client, calls } = testClient([providerAt(local.url, { model: 'qwen2.5:7b', toolMode: 'auto' })], { pricing: {} });
    local.enqueue({ raw: { status: 200, body: JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'qwen2.5:7b', choices: [{ index: 0, message: { role: 'assistant', content: '<tool_call>\n{"name": "clock", "arguments": {"tz": "Europe/Oslo"}}\n</tool_call>' }, finish_reason: 'stop' }] }) } });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time in Oslo?' }], tools: [clockTool] });
    expect(result.toolCalls).toMatchObject([{ name: 'clock', arguments: '{"tz":"Europe/Oslo"}' }]);
    expect(result.finishReason).toBe('tool_calls');
    expect(calls[0]?.costUsd).toBeUndefined();
  });
});

describe('a small model that writes its tool calls as bare JSON, without the tags it was asked for', () => {
  const ask = { messages: [{ role: 'user' as const, content: 'time in Oslo?' }], tools: [clockTool] };

  it('a reply that is only the JSON of a call runs the tool', async () => {
    const { client } = testClient([providerAt(local.url, { model: 'qwen2.5:1.5b', toolMode: 'hermes' })]);
    local.enqueue({ text: '{"name": "clock", "arguments": {"tz": "Europe/Oslo"}}' });
    const result = await client.complete(ask);
    expect(result.toolCalls).toMatchObject([{ name: 'clock', arguments: '{"tz":"Europe/Oslo"}' }]);
    expect(result.text).toBe('');
    expect(result.finishReason).toBe('tool_calls');
  });

  it('a ```json block streamed alone is a call too, and its JSON is never shown', async () => {
    const { client } = testClient([providerAt(local.url, { model: 'llama3.2:3b', toolMode: 'hermes' })]);
    local.enqueue({ stream: ['```json\n{"name": "clock", ', '"parameters": {"tz": "Europe/Oslo"}}\n', '```'] });
    const shown: string[] = [];
    const result = await client.complete({ ...ask, onTextDelta: (text) => shown.push(text) });
    expect(result.toolCalls).toMatchObject([{ name: 'clock', arguments: '{"tz":"Europe/Oslo"}' }]);
    expect(shown.join('')).toBe('');
  });

  it('JSON that is an answer (no tool offered by that name, or text around it) stays the answer, shown whole', async () => {
    const { client } = testClient([providerAt(local.url, { model: 'qwen2.5:1.5b', toolMode: 'hermes' })]);
    local.enqueue({ stream: ['{"name": "Ada", ', '"arguments": {"age": 36}}'] });
    const shown: string[] = [];
    const result = await client.complete({ ...ask, onTextDelta: (text) => shown.push(text) });
    expect(result.toolCalls).toEqual([]);
    expect(shown.join('')).toBe('{"name": "Ada", "arguments": {"age": 36}}');
    local.enqueue({ text: 'Call it like this:\n{"name": "clock", "arguments": {"tz": "UTC"}}' });
    expect((await client.complete(ask)).toolCalls).toEqual([]);
  });

  it('prose streams as before', async () => {
    const { client } = testClient([providerAt(local.url, { model: 'qwen2.5:1.5b', toolMode: 'hermes' })]);
    local.enqueue({ stream: ['It is ', 'noon.'] });
    const shown: string[] = [];
    await client.complete({ ...ask, onTextDelta: (text) => shown.push(text) });
    expect(shown).toEqual(['It is ', 'noon.']);
  });
});

describe('out of credit with a fallback set', () => {
  const quota = { error: { status: 402, body: { error: { code: 402, message: 'Insufficient credits' } } } } as const;
  let hosted: FakeModelServer;
  beforeEach(async () => {
    hosted = await startFakeModelServer();
  });
  afterEach(async () => {
    await hosted.close();
  });

  it('does not tell the operator to set a fallback when one is set and failed too', async () => {
    const { client } = testClient([providerAt(hosted.url), providerAt(local.url, { model: 'qwen2.5:7b' })]);
    hosted.setDefault(() => quota);
    local.setDefault(() => ({ error: { status: 503, body: { error: { code: 503, message: 'Loading model', type: 'unavailable_error' } } } }));
    const error = await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'hi' }] }));
    expect(error.code).toBe('quota');
    const told = userFacingError(error);
    expect(told).toMatch(/out of credit or quota\. The operator needs to top it up/);
    expect(told).not.toContain('set a fallback provider');
    expect(told).toMatch(/fallback provider is failing too.*try again later/);
  });

  it('says trying again will not help when the fallback is out of credit too', async () => {
    const { client } = testClient([providerAt(hosted.url), providerAt(local.url, { model: 'backup' })]);
    hosted.setDefault(() => quota);
    local.setDefault(() => quota);
    const told = userFacingError(await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'hi' }] })));
    expect(told).not.toContain('set a fallback provider');
    expect(told).toMatch(/fallback provider can't answer either.*won't help/);
  });

  it('still suggests a fallback when none is set', async () => {
    const { client } = testClient([providerAt(hosted.url)]);
    hosted.setDefault(() => quota);
    expect(userFacingError(await rejectionOf(client.complete({ messages: [{ role: 'user', content: 'hi' }] })))).toContain('(or set a fallback provider)');
  });
});
