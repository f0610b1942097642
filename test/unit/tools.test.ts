import { portableSchema } from '../../src/tools/portable-schema.js';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { currentTimeTool } from '../../src/tools/clock-tool.js';
import { truncateMiddle } from '../../src/tools/truncate.js';
import { oneLine } from '../../src/core/text.js';
import { parseCommand } from '../../src/core/commands.js';

const context: ToolContext = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'console', isAdmin: false, signal: new AbortController().signal, now: () => Date.UTC(2026, 10, 24, 12) };

function registry() {
  return new ToolRegistry()
    .register(currentTimeTool)
    .register({ name: 'add', description: 'add', parameters: z.object({ a: z.number(), b: z.number() }), execute: ({ a, b }) => String(a + b) })
    .register({ name: 'explode', description: 'throws', parameters: z.object({}), execute: () => { throw new Error('kaboom'); } })
    .register({ name: 'build', description: 'throws a whole log', parameters: z.object({}), execute: () => { throw new Error(`make failed:\n${'cc -c x.c\n'.repeat(20_000)}error: the end`); } })
    .register({ name: 'secret', description: 'admin', adminOnly: true, parameters: z.object({}), execute: () => 'classified' });
}

describe('ToolRegistry', () => {
  it('runs a tool with validated arguments and describes tools as JSON Schema', async () => {
    const tools = registry();
    expect(await tools.execute({ id: '1', name: 'add', arguments: '{"a":2,"b":3}' }, context)).toEqual({ ok: true, content: '5' });
    const add = tools.definitions({ isAdmin: false }).find((d) => d.name === 'add');
    expect(add?.parameters).toMatchObject({ type: 'object', properties: { a: { type: 'number' } }, required: ['a', 'b'] });
  });

  it('turns every failure into a result the model can read', async () => {
    const tools = registry();
    const badJson = await tools.execute({ id: '1', name: 'add', arguments: '{"a":2,' }, context);
    expect(badJson).toMatchObject({ ok: false, error: 'invalid_json' });
    expect(badJson.content).toContain('not valid JSON');
    const badArgs = await tools.execute({ id: '1', name: 'add', arguments: '{"a":"two"}' }, context);
    expect(badArgs).toMatchObject({ ok: false, error: 'invalid_arguments' });
    expect(badArgs.content).toMatch(/a: .*number/);
    expect(await tools.execute({ id: '1', name: 'explode', arguments: '{}' }, context)).toMatchObject({ ok: false, error: 'tool_error', content: expect.stringContaining('kaboom') });
    const unknown = await tools.execute({ id: '1', name: 'nope', arguments: '{}' }, context);
    expect(unknown.content).toContain('Available tools: current_time, add, explode');
    // An error carrying a whole log is cut as a result would be, both ends kept.
    const log = await tools.execute({ id: '1', name: 'build', arguments: '{}' }, context);
    expect(log.content.length).toBeLessThanOrEqual(20_000);
    expect(log.content).toMatch(/^Error from build: make failed:/);
    expect(log.content).toContain('error: the end');
  });

  it('hides admin-only tools from other users', async () => {
    const tools = registry();
    expect(tools.definitions({ isAdmin: false }).map((d) => d.name)).not.toContain('secret');
    expect(await tools.execute({ id: '1', name: 'secret', arguments: '{}' }, context)).toMatchObject({ ok: false, error: 'unknown_tool' });
    expect(await tools.execute({ id: '1', name: 'secret', arguments: '{}' }, { ...context, isAdmin: true })).toEqual({ ok: true, content: 'classified' });
  });

  it('tells the time, and explains an unknown time zone', async () => {
    const tools = registry();
    const result = await tools.execute({ id: '1', name: 'current_time', arguments: '{"timeZone":"Asia/Tokyo"}' }, context);
    expect(JSON.parse(result.content)).toMatchObject({ iso: '2026-11-24T12:00:00.000Z', timeZone: 'Asia/Tokyo' });
    expect((await tools.execute({ id: '1', name: 'current_time', arguments: '{"timeZone":"Mars/Base"}' }, context)).content).toContain('Unknown time zone');
  });

  it('keeps both ends of a long result', () => {
    const text = `HEAD${'x'.repeat(50_000)}TAIL`;
    const cut = truncateMiddle(text, 1000);
    expect(cut.length).toBeLessThanOrEqual(1000);
    expect(cut.startsWith('HEAD')).toBe(true);
    expect(cut.endsWith('TAIL')).toBe(true);
    expect(cut).toMatch(/characters omitted/);
  });

  it('never cuts a character in two (an emoji is two UTF-16 units), wherever the cut falls', () => {
    const wellFormed = (text: string) => !/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
    for (let lead = 0; lead < 4; lead++) {
      const text = `${'a'.repeat(lead)}${'📦 '.repeat(2_000)}`;
      for (const max of [200, 201, 202, 203]) expect(wellFormed(truncateMiddle(text, max)), `${lead} ${max}`).toBe(true);
      expect(wellFormed(oneLine(text, 51))).toBe(true);
    }
  });
});

describe('parseCommand', () => {
  it('parses commands and leaves other text alone', () => {
    expect(parseCommand('/new')).toEqual({ name: 'new', args: '' });
    expect(parseCommand('/Feedback@cairn_bot bad  it broke ')).toEqual({ name: 'feedback', args: 'bad  it broke' });
    expect(parseCommand('/usr/bin is a path')).toBeUndefined();
    expect(parseCommand('hello /new')).toBeUndefined();
  });
});

describe('portableSchema', () => {
  it('keeps what every provider reads, and makes the rest inclusive bounds or leaves it out', () => {
    const schema = z.toJSONSchema(
      z.object({ n: z.number().int().positive().max(50), x: z.number().gt(0.5).lt(2), env: z.record(z.string().regex(/^[A-Z_]+$/), z.string()), kind: z.literal('fact'), const: z.string().optional() }),
      { io: 'input' },
    ) as Record<string, unknown>;
    expect(portableSchema(schema)).toEqual({
      type: 'object',
      properties: {
        n: { type: 'integer', minimum: 1, maximum: 50 },
        x: { type: 'number', minimum: 0.5, maximum: 2 },
        env: { type: 'object', additionalProperties: { type: 'string' } },
        kind: { type: 'string', enum: ['fact'] },
        const: { type: 'string' },
      },
      required: ['n', 'x', 'env', 'kind'],
    });
  });
});
