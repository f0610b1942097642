/**
 * The answer after the step limit (tool_choice "none", hideToolCallText) in the native tool mode:
 * vLLM from 0.10 keeps the tools in the prompt and parses no call under tool_choice "none", so a
 * Hermes or Qwen model that still wrote one sent its `<tool_call>` JSON to the user as the answer.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { clockTool, providerAt, testClient } from './harness.js';
import type { ChatMessage } from '../../src/model/types.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const history: ChatMessage[] = [
  { role: 'user', content: 'what time is it in Tokyo and Paris?' },
  { role: 'assistant', content: null, toolCalls: [{ id: 'call_1', name: 'clock', arguments: '{"tz":"Asia/Tokyo"}' }] },
  { role: 'tool', toolCallId: 'call_1', content: '21:00' },
];
// vLLM (0.10 on) keeps the tools in the prompt under tool_choice "none" and parses no call: one the model still writes comes as text.
const reply = 'In Tokyo it is 21:00.\n<tool_call>\n{"name": "clock", "arguments": {"tz": "Europe/Paris"}}\n</tool_call>';

it.each([false, true])('native mode: a tool call written as text in the answer after the step limit does not reach the user (streamed: %s)', async (streamed) => {
  server.enqueue({ text: reply });
  const { client } = testClient([providerAt(server.url, { toolMode: 'native' })]);
  const deltas: string[] = [];
  const result = await client.complete({ messages: history, tools: [clockTool], toolChoice: 'none', hideToolCallText: true, ...(streamed ? { onTextDelta: (d: string) => deltas.push(d) } : {}) });
  expect(result.text).toBe('In Tokyo it is 21:00.');
  if (streamed) expect(deltas.join('')).not.toContain('tool_call');
});
