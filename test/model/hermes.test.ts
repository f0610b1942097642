import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseToolCallBlocks, toHermesMessages, ToolCallTextFilter } from '../../src/model/hermes.js';
import { startFakeModelServer, type ChatBody, type FakeModelServer } from '../fakes/model-server.js';
import { clockTool, providerAt, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const CALL = '<tool_call>\n{"name": "clock", "arguments": {"tz": "UTC"}}\n</tool_call>';

describe('hermes tool mode', () => {
  it('describes the tools in the system prompt instead of the tools parameter', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'hermes' })]);
    let seen: ChatBody | undefined;
    server.enqueue((request) => {
      seen = request.body as ChatBody;
      return { text: `Let me look.\n${CALL}` };
    });
    const result = await client.complete({ messages: [{ role: 'system', content: 'You are Cairn.' }, { role: 'user', content: 'time?' }], tools: [clockTool] });

    expect(seen).not.toHaveProperty('tools');
    const system = seen?.messages[0];
    expect(system.role).toBe('system');
    expect(system.content).toMatch(/^You are Cairn\.\n\n# Tools/);
    const listed = /<tools>\n([\s\S]*)\n<\/tools>/.exec(system.content)?.[1];
    expect(JSON.parse(listed ?? '')).toEqual([{ type: 'function', function: clockTool }]);
    expect(system.content).toContain('<tool_call>');

    expect(result.text).toBe('Let me look.');
    expect(result.toolCalls).toEqual([{ id: expect.stringMatching(/^call_/), name: 'clock', arguments: '{"tz":"UTC"}' }]);
    expect(result.finishReason).toBe('tool_calls');
  });

  it('renders earlier tool calls and results as text', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'hermes' })]);
    await client.complete({
      tools: [clockTool],
      messages: [
        { role: 'user', content: 'time in two places?' },
        { role: 'assistant', content: 'Checking.', toolCalls: [{ id: 'a', name: 'clock', arguments: '{"tz":"UTC"}' }, { id: 'b', name: 'clock', arguments: '{bad' }] },
        { role: 'tool', toolCallId: 'a', content: '12:00' },
        { role: 'tool', toolCallId: 'b', content: 'error: invalid JSON' },
      ],
    });
    const messages = server.chatRequests()[0]?.messages as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant', 'user']);
    expect(messages[2]?.content).toBe(
      'Checking.\n<tool_call>\n{"name": "clock", "arguments": {"tz":"UTC"}}\n</tool_call>\n<tool_call>\n{"name": "clock", "arguments": "{bad"}\n</tool_call>',
    );
    expect(messages[3]?.content).toBe(
      '<tool_response>\n{"name":"clock","content":"12:00"}\n</tool_response>\n<tool_response>\n{"name":"clock","content":"error: invalid JSON"}\n</tool_response>',
    );
  });

  it('turns a block with invalid JSON into a call whose arguments are the raw text', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'hermes' })]);
    server.enqueue({ text: '<tool_call>{"name": "clock", "arguments": {"tz": UTC}</tool_call>' });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
    expect(result.text).toBe('');
    expect(result.toolCalls).toEqual([{ id: expect.any(String), name: 'clock', arguments: '{"name": "clock", "arguments": {"tz": UTC}' }]);
  });

  it('leaves the prompt and the text alone when no tools are offered', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'hermes' })]);
    server.enqueue({ text: `quoting ${CALL}` });
    const result = await client.complete({ messages: [{ role: 'user', content: 'summarize' }] });
    expect(server.chatRequests()[0]?.messages).toEqual([{ role: 'user', content: 'summarize' }]);
    expect(result.toolCalls).toEqual([]);
  });
});

describe('auto tool mode', () => {
  it('sends native tools and parses text blocks when no native call came back', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'auto' })]);
    server.enqueue({ text: CALL });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
    expect(server.chatRequests()[0]?.tools).toHaveLength(1);
    expect(server.chatRequests()[0]?.messages[0]).toEqual({ role: 'user', content: 'time?' });
    expect(result.toolCalls).toEqual([{ id: expect.any(String), name: 'clock', arguments: '{"tz":"UTC"}' }]);
  });

  it('prefers native calls and then leaves the text as it is', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'auto' })]);
    server.enqueue({ text: 'calling', toolCalls: [{ id: 'n1', name: 'clock', arguments: { tz: 'CET' } }] });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
    expect(result).toMatchObject({ text: 'calling', toolCalls: [{ id: 'n1', name: 'clock', arguments: '{"tz":"CET"}' }] });
  });

  it('does not parse text blocks in native mode', async () => {
    const { client } = testClient([providerAt(server.url)]);
    server.enqueue({ text: CALL });
    const result = await client.complete({ messages: [{ role: 'user', content: 'time?' }], tools: [clockTool] });
    expect(result).toMatchObject({ text: CALL, toolCalls: [] });
  });
});

describe('parseToolCallBlocks', () => {
  let n = 0;
  const ids = () => `id${++n}`;

  it('parses several blocks, an unclosed last block, stringified arguments and code fences', () => {
    n = 0;
    const text = [
      'Two calls.',
      '<tool_call>{"name": "a", "arguments": "{\\"x\\":1}"}</tool_call>',
      '<tool_call>\n```json\n{"name": "b", "parameters": {"y": 2}}\n```\n</tool_call>',
      '<tool_call>{"name": "c"}',
    ].join('\n');
    expect(parseToolCallBlocks(text, ids)).toEqual({
      text: 'Two calls.',
      toolCalls: [
        { id: 'id1', name: 'a', arguments: '{"x":1}' },
        { id: 'id2', name: 'b', arguments: '{"y":2}' },
        { id: 'id3', name: 'c', arguments: '{}' },
      ],
    });
  });

  it('never throws on broken blocks', () => {
    n = 0;
    expect(parseToolCallBlocks('<tool_call>{not json at all</tool_call>', ids).toolCalls).toEqual([{ id: 'id1', name: '', arguments: '{not json at all' }]);
    expect(parseToolCallBlocks('<tool_call>{"arguments": {}}</tool_call>', ids).toolCalls).toEqual([{ id: 'id2', name: '', arguments: '{"arguments": {}}' }]);
    expect(parseToolCallBlocks('no calls here', ids)).toEqual({ text: 'no calls here', toolCalls: [] });
  });

  it('puts the tool prompt in a new system message when there is none', () => {
    const messages = toHermesMessages([{ role: 'user', content: 'hi' }], [clockTool]);
    expect(messages[0]?.role).toBe('system');
    expect(messages[0]?.content).toContain('"name":"clock"');
    expect(messages[1]).toEqual({ role: 'user', content: 'hi' });
  });
});

describe('ToolCallTextFilter', () => {
  const run = (pieces: string[]) => {
    const filter = new ToolCallTextFilter();
    const out = pieces.map((piece) => filter.push(piece));
    return { out, all: out.join('') + filter.flush() };
  };

  it('hides blocks split across deltas', () => {
    const { out, all } = run(['Hi <to', 'ol_c', 'all>{"name":', '"x"}</tool', '_call> bye']);
    expect(out).toEqual(['Hi ', '', '', '', ' bye']);
    expect(all).toBe('Hi  bye');
  });

  it('releases text that only looked like the start of a tag', () => {
    const { out, all } = run(['a <', 'b and <tool', 's>']);
    expect(out).toEqual(['a ', '<b and ', '<tools>']);
    expect(all).toBe('a <b and <tools>');
    expect(run(['ends with <tool_']).all).toBe('ends with <tool_');
  });

  it('drops an unclosed block at the end', () => {
    expect(run(['text <tool_call>{"name": "x"']).all).toBe('text ');
  });
});
