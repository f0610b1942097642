/** A model that names an argument the tool does not have (read_attachment's start_line on read_file, an "append" write_file lacks). */
import { describe, expect, it } from 'vitest';
import { adminContext, toolCall, useLocalFileTools } from './helpers.js';

const world = useLocalFileTools();

describe('an argument the tool does not have', () => {
  it('is not dropped silently: write_file with "append" does not replace the file with the new line alone', async () => {
    const registry = world.tools();
    await registry.execute(toolCall('write_file', { path: 'notes.txt', content: 'line one\n' }), adminContext);
    const outcome = await registry.execute(toolCall('write_file', { path: 'notes.txt', content: 'line two\n', append: true }), adminContext);
    expect(outcome.ok).toBe(false);
    expect(outcome.content).toContain('append');
    expect(outcome.content).toContain('path, content, encoding');
    expect((await registry.execute(toolCall('read_file', { path: 'notes.txt' }), adminContext)).content).toContain('line one');
  });

  it('written in the other case style (start_line for startLine) is read as the parameter it names', async () => {
    const registry = world.tools();
    const lines = Array.from({ length: 1000 }, (_, i) => `line ${i + 1}`);
    await registry.execute(toolCall('write_file', { path: 'big.txt', content: `${lines.join('\n')}\n` }), adminContext);
    const page = await registry.execute(toolCall('read_file', { path: 'big.txt', start_line: 900 }), adminContext);
    expect(page.ok).toBe(true);
    expect(page.content).toContain('line 900');
    expect(page.content).not.toContain('line 1\n');
  });

  it('left out (null or empty) is no reason to refuse the call', async () => {
    const registry = world.tools();
    await registry.execute(toolCall('write_file', { path: 'a.txt', content: 'hello\n' }), adminContext);
    expect(await registry.execute(toolCall('read_file', { path: 'a.txt', offset: null, mode: '' }), adminContext)).toMatchObject({ ok: true });
  });
});
