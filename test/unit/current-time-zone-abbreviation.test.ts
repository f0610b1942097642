/** current_time with a zone abbreviation ("CST": Chicago's to the zone data, China's to many users) refuses it as schedules do. */
import { describe, expect, it } from 'vitest';
import { ToolRegistry, type ToolContext } from '../../src/tools/registry.js';
import { clockTool } from '../../src/tools/clock-tool.js';

const context: ToolContext = { sessionId: 's', conversationId: 'c', userId: 'u', platform: 'test', isAdmin: false, signal: new AbortController().signal, now: () => Date.UTC(2026, 10, 24, 9) };
const tools = new ToolRegistry().register(clockTool('UTC'));
const timeIn = (timeZone: string) => tools.execute({ id: '1', name: 'current_time', arguments: JSON.stringify({ timeZone }) }, context);

describe('current_time with a zone abbreviation', () => {
  it('refuses CST, naming how the system reads it and what to write instead', async () => {
    const result = await timeIn('CST');
    expect(result.ok).toBe(false);
    expect(result.content).toContain('America/Chicago');
    expect(result.content).toContain('Asia/Shanghai');
  });

  it('still tells the time in a Region/City zone and in UTC', async () => {
    expect(await timeIn('Asia/Shanghai')).toMatchObject({ ok: true, content: expect.stringContaining('17:00:00') });
    expect(await timeIn('UTC')).toMatchObject({ ok: true });
  });
});
