/**
 * Hermes <tool_call> blocks as models really write them: several calls in one block, and JSON
 * with the slips small models make (trailing commas, Python dict repr). Each is read as the
 * calls it means instead of one call whose arguments are the block's text.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseToolCallBlocks } from '../../src/model/hermes.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { clockTool, providerAt, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const twoCalls = [
  { id: expect.any(String), name: 'clock', arguments: '{"tz":"UTC"}' },
  { id: expect.any(String), name: 'clock', arguments: '{"tz":"Asia/Tokyo"}' },
];

describe('several calls in one <tool_call> block', () => {
  it.each([
    ['one object per line', '<tool_call>\n{"name": "clock", "arguments": {"tz": "UTC"}}\n{"name": "clock", "arguments": {"tz": "Asia/Tokyo"}}\n</tool_call>'],
    ['a JSON array', '<tool_call>\n[{"name": "clock", "arguments": {"tz": "UTC"}}, {"name": "clock", "arguments": {"tz": "Asia/Tokyo"}}]\n</tool_call>'],
    ['two blocks, the first left unclosed', '<tool_call>\n{"name": "clock", "arguments": {"tz": "UTC"}}\n<tool_call>\n{"name": "clock", "arguments": {"tz": "Asia/Tokyo"}}\n</tool_call>'],
  ])('runs both calls written as %s', async (_how, text) => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'hermes' })]);
    server.enqueue({ text });
    const result = await client.complete({ messages: [{ role: 'user', content: 'times?' }], tools: [clockTool] });
    expect(result.toolCalls).toEqual(twoCalls);
  });
});

describe('JSON slips inside a <tool_call> block', () => {
  it.each([
    ['a trailing comma', '<tool_call>\n{"name": "clock", "arguments": {"tz": "UTC",},}\n</tool_call>'],
    ['single quotes (Python dict repr)', "<tool_call>\n{'name': 'clock', 'arguments': {'tz': 'UTC'}}\n</tool_call>"],
  ])('reads a call written with %s as the call it is', async (_how, text) => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'hermes' })]);
    server.enqueue({ text });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
    expect(result.toolCalls).toHaveLength(1);
    expect(result.toolCalls[0]?.name).toBe('clock');
    expect(JSON.parse(result.toolCalls[0]?.arguments ?? '')).toEqual({ tz: 'UTC' });
  });

  it('reads Python True/False/None and quotes inside single-quoted strings', () => {
    const text = `<tool_call>{'name': 'note', 'arguments': {'pinned': True, 'draft': False, 'tag': None, 'text': 'it\\'s a "test", True'}}</tool_call>`;
    const [call] = parseToolCallBlocks(text, () => 'id').toolCalls;
    expect(call?.name).toBe('note');
    expect(JSON.parse(call?.arguments ?? '')).toEqual({ pinned: true, draft: false, tag: null, text: `it's a "test", True` });
  });

  it('keeps the raw text as arguments when repair cannot read the block either', () => {
    expect(parseToolCallBlocks('<tool_call>{"name": "clock", "arguments": {"tz": UTC}</tool_call>', () => 'id').toolCalls).toEqual([
      { id: 'id', name: 'clock', arguments: '{"name": "clock", "arguments": {"tz": UTC}' },
    ]);
  });
});
