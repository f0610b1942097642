/**
 * What an endpoint refused is remembered for that endpoint (its base URL), not for the provider's
 * name: two `custom` providers are two servers, and one's refusal of JSON mode or native tools took
 * them from the other, which never refused them.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer, type RecordedRequest } from '../fakes/model-server.js';
import { clockTool, providerAt, testClient } from './harness.js';

let primary: FakeModelServer;
let fallback: FakeModelServer;
beforeEach(async () => {
  [primary, fallback] = await Promise.all([startFakeModelServer(), startFakeModelServer()]);
});
afterEach(async () => {
  await Promise.all([primary.close(), fallback.close()]);
});

it('a field one custom endpoint refused is still sent to another custom endpoint that never refused it', async () => {
  primary.setDefault((request: RecordedRequest) => ((request.body as { response_format?: unknown }).response_format ? { error: { status: 400, body: { error: { message: 'response_format is not supported by this server' } } } } : { text: '{"ok": true}' }));
  const { client } = testClient([providerAt(primary.url), providerAt(fallback.url)]);
  await client.complete({ messages: [{ role: 'user', content: 'json please' }], json: true });
  primary.setDefault(() => ({ error: { status: 503 } }));
  fallback.setDefault(() => ({ text: '{"ok": true}' }));
  await client.complete({ messages: [{ role: 'user', content: 'json please' }], json: true });
  expect(fallback.chatRequests()[0]?.response_format).toEqual({ type: 'json_object' });
});

it('native tools one custom endpoint refused for a model are still sent to another serving a model of that name', async () => {
  primary.setDefault((request: RecordedRequest) => ((request.body as { tools?: unknown }).tools ? { error: { status: 400, body: { error: { message: 'registry.ollama.ai/library/qwen3:8b does not support tools' } } } } : { text: 'It is noon.' }));
  const { client } = testClient([providerAt(primary.url, { toolMode: 'auto', model: 'qwen3:8b' }), providerAt(fallback.url, { toolMode: 'auto', model: 'qwen3:8b' })]);
  await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
  primary.setDefault(() => ({ error: { status: 503 } }));
  fallback.setDefault(() => ({ text: 'It is noon.' }));
  await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
  expect(fallback.chatRequests()[0]?.tools).toHaveLength(1);
});
