/**
 * Refusals of tools and tool_choice that servers send with other statuses or words than a 400
 * naming `tools`: OpenRouter's 404 "No endpoints found that support …" (it routes by the fields
 * sent), llama.cpp's 500 without --jinja, and a 400 refusing tool_choice "none" (the answer after
 * the step limit). The auto tool mode answers from the prompt where tools are refused; a refused
 * tool_choice is dropped alone.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer, type FakeReply, type RecordedRequest } from '../fakes/model-server.js';
import { clockTool, providerAt, testClient } from './harness.js';
import type { ChatMessage } from '../../src/model/types.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const noEndpoint = (what: string): FakeReply => ({ error: { status: 404, body: { error: { message: `No endpoints found that support ${what}. To learn more about provider routing, visit: https://openrouter.ai/docs/guides/routing/provider-selection`, code: 404 } } } });

const history: ChatMessage[] = [
  { role: 'user', content: 'what time is it?' },
  { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'clock', arguments: '{"tz":"UTC"}' }] },
  { role: 'tool', toolCallId: 'call_1', content: '12:00' },
];

it('OpenRouter: the answer after the step limit on a model whose endpoints take no tool_choice', async () => {
  server.setDefault((request: RecordedRequest) => ((request.body as { tool_choice?: unknown }).tool_choice !== undefined ? noEndpoint("the provided 'tool_choice' value") : { text: 'It is noon.' }));
  const { client } = testClient([providerAt(server.url, { name: 'openrouter', toolMode: 'auto' })]);
  const result = await client.complete({ messages: history, tools: [clockTool], toolChoice: 'none', hideToolCallText: true });
  expect(result.text).toBe('It is noon.');
});

it('OpenRouter, auto tool mode: a model with no endpoint that supports tool use gets its tools in the prompt', async () => {
  server.setDefault((request: RecordedRequest) => ((request.body as { tools?: unknown }).tools !== undefined ? noEndpoint('tool use') : { text: '<tool_call>\n{"name": "clock", "arguments": {"tz": "UTC"}}\n</tool_call>' }));
  const { client } = testClient([providerAt(server.url, { name: 'openrouter', toolMode: 'auto' })]);
  const result = await client.complete({ messages: [{ role: 'user', content: 'what time is it?' }], tools: [clockTool] });
  expect(result.toolCalls).toMatchObject([{ name: 'clock', arguments: '{"tz":"UTC"}' }]);
});

it('llama.cpp without --jinja, auto tool mode: its 500 for tools is a refusal, answered from the prompt, not retried', async () => {
  server.setDefault((request: RecordedRequest) =>
    (request.body as { tools?: unknown }).tools !== undefined
      ? { error: { status: 500, body: { error: { code: 500, message: 'tools param requires --jinja flag', type: 'server_error' } } } }
      : { text: '<tool_call>\n{"name": "clock", "arguments": {"tz": "UTC"}}\n</tool_call>' },
  );
  const { client, sleeps } = testClient([providerAt(server.url, { toolMode: 'auto' })]);
  const result = await client.complete({ messages: [{ role: 'user', content: 'what time is it?' }], tools: [clockTool] });
  expect(result.toolCalls).toMatchObject([{ name: 'clock', arguments: '{"tz":"UTC"}' }]);
  expect(sleeps).toEqual([]);
});

it('a 400 refusing tool_choice "none" drops tool_choice only, and later steps keep native tools (auto mode)', async () => {
  server.setDefault((request: RecordedRequest) => {
    const body = request.body as { tools?: unknown; tool_choice?: unknown };
    if (body.tool_choice !== undefined) return { error: { status: 400, body: { error: { message: "tool_choice 'none' is not supported for this model" } } } };
    return body.tools !== undefined ? { text: 'It is noon.' } : { text: 'no tools were sent' };
  });
  const { client } = testClient([providerAt(server.url, { toolMode: 'auto' })]);
  const final = await client.complete({ messages: history, tools: [clockTool], toolChoice: 'none', hideToolCallText: true });
  expect(final.text).toBe('It is noon.');
  const next = await client.complete({ messages: [{ role: 'user', content: 'again?' }], tools: [clockTool] });
  expect(next.text).toBe('It is noon.');
  expect(server.chatRequests().at(-1)?.tools).toHaveLength(1);
});
