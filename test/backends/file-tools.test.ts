/** read_file pages that stay whole under the registry's cut, and `~` in the file tools meaning what it means to the terminal (local back end and the shell scripts of the others). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFileCommand, writeFileCommand } from '../../src/backends/shell.js';
import { adminContext, TEST_PATH, toolCall, useLocalFileTools } from './helpers.js';

const world = useLocalFileTools();

describe('read_file on an ordinary source file', () => {
  it('shows every line up to where it says to read on (a page stops short of the registry cutting its middle)', async () => {
    const registry = world.tools();
    // 1,000 lines of ~70 characters: a common source file.
    const lines = Array.from({ length: 1000 }, (_, i) => `export const value${i} = computeSomething(${i}); // typical source line`);
    await registry.execute(toolCall('write_file', { path: 'src/big.ts', content: `${lines.join('\n')}\n` }), adminContext);
    const page = (await registry.execute(toolCall('read_file', { path: 'src/big.ts' }), adminContext)).content;
    const next = Number(/call again with startLine (\d+)/.exec(page)?.[1] ?? '0');
    expect(next).toBeGreaterThan(1);
    const missing = Array.from({ length: next - 1 }, (_, i) => i + 1).filter((n) => !page.includes(`value${n - 1} = `));
    expect(missing).toEqual([]);
  });
});

describe('paths with ~', () => {
  it('write_file to ~/notes.txt writes where the terminal finds ~/notes.txt', async () => {
    const registry = world.tools();
    expect((await registry.execute(toolCall('write_file', { path: '~/notes.txt', content: 'hello\n' }), adminContext)).ok).toBe(true);
    const cat = await registry.execute(toolCall('terminal', { command: 'cat ~/notes.txt' }), adminContext);
    expect(cat.content).toContain('hello');
    expect(cat.content).toMatch(/^exit code 0/);
  });

  it('read_file ~/x reads the file the terminal wrote to ~/x', async () => {
    const registry = world.tools();
    await registry.execute(toolCall('terminal', { command: 'echo from-terminal > ~/made.txt' }), adminContext);
    const read = await registry.execute(toolCall('read_file', { path: '~/made.txt' }), adminContext);
    expect(read.content).toContain('from-terminal');
  });
});

describe('~ in the shell back ends\' file scripts', () => {
  it('writes and reads under $HOME, as the shell reads ~', () => {
    const env = { PATH: TEST_PATH, HOME: world.home };
    execFileSync('/bin/sh', ['-c', writeFileCommand("~/notes/it's.txt")], { input: Buffer.from('hello\n').toString('base64'), env });
    expect(readFileSync(join(world.home, 'notes', "it's.txt"), 'utf8')).toBe('hello\n');
    const read = execFileSync('/bin/sh', ['-c', readFileCommand("~/notes/it's.txt", 1024)], { env }).toString();
    expect(Buffer.from(read, 'base64').toString()).toBe('hello\n');
  });
});
