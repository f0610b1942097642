/**
 * Tool calls whose arguments are JSON `null`: how vLLM's parsers write a model's `"arguments": null` for a tool
 * without parameters. The registry refused it ("expected object, received null"), though hermes.ts reads the
 * same in text calls as no arguments.
 */
import { expect, it } from 'vitest';
import { z } from 'zod';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { clockTool } from '../../src/tools/clock-tool.js';

const context: ToolContext = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'console', isAdmin: false, signal: new AbortController().signal, now: () => Date.UTC(2026, 10, 24, 9) };
const tools = new ToolRegistry()
  .register(clockTool('UTC'))
  .register({ name: 'list_things', description: 'Lists things.', parameters: z.object({}), execute: () => 'no things' })
  .register({ name: 'save_thing', description: 'Saves a thing.', parameters: z.object({ text: z.string() }), execute: ({ text }) => `saved ${text}` });

it('runs a tool called with null arguments as with none', async () => {
  expect(await tools.execute({ id: '1', name: 'list_things', arguments: 'null' }, context)).toEqual({ ok: true, content: 'no things' });
  expect(await tools.execute({ id: '2', name: 'current_time', arguments: ' null ' }, context)).toMatchObject({ ok: true, content: expect.stringContaining('2026-11-24T09:00:00.000Z') });
  // A tool that needs arguments names the one missing.
  expect(await tools.execute({ id: '3', name: 'save_thing', arguments: 'null' }, context)).toMatchObject({ ok: false, content: expect.stringMatching(/^Invalid arguments for save_thing: text: /) });
});
