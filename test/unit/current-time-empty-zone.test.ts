/** current_time with timeZone "" (open models send "" for an optional field left out) tells the time in the default zone. */
import { describe, expect, it } from 'vitest';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { clockTool } from '../../src/tools/clock-tool.js';

const context: ToolContext = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => Date.UTC(2026, 10, 24, 9) };

describe('current_time with an empty time zone', () => {
  it('timeZone "" tells the time in the default zone, like a field left out', async () => {
    const tools = new ToolRegistry().register(clockTool('Europe/Paris'));
    const result = await tools.execute({ id: '1', name: 'current_time', arguments: JSON.stringify({ timeZone: '' }) }, context);
    expect(result.content).not.toContain('Unknown time zone');
    expect(result.ok).toBe(true);
    expect(result.content).toContain('Europe/Paris');
  });
});
