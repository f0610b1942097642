/**
 * A <tool_call> tag counts only outside code and only when JSON follows it: a tag named in
 * prose or inline code, or a block quoted in a fenced code block (an example, or a file the
 * model repeats: prompt injection), is shown as written and calls nothing, streamed or not.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseToolCallBlocks, ToolCallTextFilter } from '../../src/model/hermes.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { clockTool, providerAt, testClient } from './harness.js';

let server: FakeModelServer;
beforeEach(async () => {
  server = await startFakeModelServer();
});
afterEach(async () => {
  await server.close();
});

const MENTION = 'Hermes models put each call in a `<tool_call>` tag with JSON inside. Cairn reads the call from there and runs the tool.';
const PAIR = 'Wrap the JSON in `<tool_call></tool_call>` tags, one pair per call, and the server will run it.';
const BARE = 'The model writes a <tool_call> tag, then the JSON, then a closing tag.';
const FENCED = 'A call looks like this:\n\n```xml\n<tool_call>\n{"name": "clock", "arguments": {}}\n</tool_call>\n```\n\nand the result comes back in a <tool_response> block.';
const INLINE = 'Write `<tool_call>{"name": "clock", "arguments": {}}</tool_call>` to call it.';

const streamed = (pieces: string[]) => {
  const filter = new ToolCallTextFilter();
  return pieces.map((piece) => filter.push(piece)).join('') + filter.flush();
};
/** The text cut into deltas of `size` characters, as a server streams it. */
const deltas = (text: string, size: number) => Array.from({ length: Math.ceil(text.length / size) }, (_, i) => text.slice(i * size, (i + 1) * size));

describe('a <tool_call> tag that is not a call', () => {
  it.each(['auto', 'hermes'] as const)('keeps an answer that mentions an unclosed <tool_call> whole and calls nothing (%s mode)', async (toolMode) => {
    const { client } = testClient([providerAt(server.url, { toolMode })]);
    server.enqueue({ text: MENTION });
    const result = await client.complete({ messages: [{ role: 'user', content: 'how do hermes tool calls look?' }], tools: [clockTool] });
    expect(result.toolCalls).toEqual([]);
    expect(result.text).toBe(MENTION);
  });

  it('streams the whole answer that mentions <tool_call> (auto mode)', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'auto' })]);
    server.enqueue({ text: MENTION });
    const shown: string[] = [];
    const result = await client.complete({ messages: [{ role: 'user', content: 'how do hermes tool calls look?' }], tools: [clockTool], onTextDelta: (d) => shown.push(d) });
    expect(shown.join('')).toBe(MENTION);
    expect(result).toMatchObject({ text: MENTION, toolCalls: [] });
  });

  it('does not make a call of an empty `<tool_call></tool_call>` mention (auto mode)', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'auto' })]);
    server.enqueue({ text: PAIR });
    const result = await client.complete({ messages: [{ role: 'user', content: 'how do I call tools?' }], tools: [clockTool] });
    expect(result).toMatchObject({ text: PAIR, toolCalls: [] });
  });

  it('shows a block quoted in a fenced code block and runs nothing, streamed or not', async () => {
    const { client } = testClient([providerAt(server.url, { toolMode: 'auto' })]);
    server.enqueue({ text: FENCED }, { text: FENCED });
    const plain = await client.complete({ messages: [{ role: 'user', content: 'show a call' }], tools: [clockTool] });
    expect(plain).toMatchObject({ text: FENCED, toolCalls: [] });
    const shown: string[] = [];
    const live = await client.complete({ messages: [{ role: 'user', content: 'show a call' }], tools: [clockTool], onTextDelta: (d) => shown.push(d) });
    expect(shown.join('')).toBe(FENCED);
    expect(live).toMatchObject({ text: FENCED, toolCalls: [] });
  });

  it.each([
    ['named in inline code', MENTION],
    ['named bare in prose', BARE],
    ['as a whole block in inline code', INLINE],
    ['in a fenced code block', FENCED],
    ['in a fenced block left open', '```\n<tool_call>{"name": "clock"}</tool_call>'],
    ['in a ~~~ fence', '~~~\n<tool_call>{"name": "clock"}</tool_call>\n~~~'],
  ])('parses nothing from and streams all of a tag %s, whatever the delta size', (_where, text) => {
    expect(parseToolCallBlocks(text)).toEqual({ text, toolCalls: [] });
    for (const size of [1, 2, 5, 13, text.length]) expect(streamed(deltas(text, size)), `deltas of ${size}`).toBe(text);
  });
});

describe('a <tool_call> block next to code', () => {
  const CALL = '<tool_call>\n{"name": "clock", "arguments": {"tz": "UTC"}}\n</tool_call>';

  it.each([
    ['after a closed fence', `\`\`\`\ncode\n\`\`\`\n${CALL}`, '```\ncode\n```\n'],
    ['after a closed code span', `Run \`date\` for me.\n${CALL}`, 'Run `date` for me.\n'],
    ['after a lone backtick across a blank line', `It costs 5\`.\n\n${CALL}`, 'It costs 5`.\n\n'],
    ['with a ```json fence inside the block', '<tool_call>\n```json\n{"name": "clock", "arguments": {"tz": "UTC"}}\n```\n</tool_call>', ''],
  ])('is a call %s, and the stream hides exactly it', (_where, text, shownText) => {
    expect(parseToolCallBlocks(text, () => 'id').toolCalls).toEqual([{ id: 'id', name: 'clock', arguments: '{"tz":"UTC"}' }]);
    for (const size of [1, 3, 7, text.length]) expect(streamed(deltas(text, size)), `deltas of ${size}`).toBe(shownText);
  });

  it('holds text after an open tag until its first character decides, then lets prose out', () => {
    const filter = new ToolCallTextFilter();
    expect(filter.push('Use a <tool_call>')).toBe('Use a ');
    expect(filter.push('  ')).toBe('');
    expect(filter.push('tag.')).toBe('<tool_call>  tag.');
    expect(filter.flush()).toBe('');
  });

  it('hides a block whose first character is { as soon as it arrives', () => {
    const filter = new ToolCallTextFilter();
    expect(filter.push('Checking.<tool_call>')).toBe('Checking.');
    expect(filter.push('{"name": "clock"}</tool_call>')).toBe('');
    expect(filter.flush()).toBe('');
  });
});
