/** The estimate of the tool definitions is reused while the tools are the same (context-budget.ts), and redone when they change. */
import { expect, it } from 'vitest';
import { estimateToolTokens } from '../../src/core/context-budget.js';
import { hermesToolPrompt } from '../../src/model/hermes.js';
import { estimateTokens } from '../../src/memory/tokens.js';
import type { ToolDefinition } from '../../src/model/types.js';

const schema = { type: 'object', properties: { zone: { type: 'string' } } };
const fresh = (tools: readonly ToolDefinition[]) => estimateTokens(hermesToolPrompt(tools));

it('counts a changed name, description, schema or tool list anew, and the same tools in a new array the same', () => {
  const tools: ToolDefinition[] = [{ name: 'current_time', description: 'The time.', parameters: schema }];
  expect(estimateToolTokens(tools)).toBe(fresh(tools));
  expect(estimateToolTokens(tools.map((tool) => ({ ...tool })))).toBe(fresh(tools));
  const variants: ToolDefinition[][] = [
    [{ name: 'current_time_in_a_zone', description: 'The time.', parameters: schema }],
    [{ name: 'current_time', description: 'The time, in any zone you name, with the date and the day of the week.', parameters: schema }],
    [{ name: 'current_time', description: 'The time.', parameters: { type: 'object', properties: { zone: { type: 'string' }, format: { type: 'string', description: 'iso, or words' } } } }],
    [...tools, { name: 'memory_save', description: 'Saves a note for later.', parameters: schema }],
  ];
  for (const variant of variants) {
    expect(estimateToolTokens(variant)).toBe(fresh(variant));
    expect(estimateToolTokens(variant)).not.toBe(fresh(tools));
  }
  // An array the caller changes after the estimate is not the one remembered.
  const changing: ToolDefinition[] = [...tools];
  expect(estimateToolTokens(changing)).toBe(fresh(tools));
  changing.push({ name: 'memory_save', description: 'Saves a note for later.', parameters: schema });
  expect(estimateToolTokens(changing)).toBe(fresh(changing));
  expect(estimateToolTokens([])).toBe(0);
});
