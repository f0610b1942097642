/**
 * read_file, write_file and send_file's reading pointed at something that is there but is not a
 * text file it can show as such. A directory was reported as "No such file" (the model went
 * looking for a file that was there), writing to one failed with Node's words about a temporary
 * file it never named, and UTF-16 without a byte-order mark was called binary, though the text
 * decoder reads it (SQL Server's `bcp -w`, .NET's and Java's UTF-16LE writers).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessTransport } from '../../src/backends/process-transport.js';
import { ShellEnvironment } from '../../src/backends/shell-environment.js';
import { adminContext, TEST_PATH, tempDir, toolCall, useLocalFileTools } from './helpers.js';

const world = useLocalFileTools();

describe('the file tools on the local back end', () => {
  it('say a directory is a directory, for reading and for writing, and leave it as it was', async () => {
    const registry = world.tools();
    await registry.execute(toolCall('terminal', { command: 'mkdir -p src/app && touch src/app/main.py' }), adminContext);
    const read = await registry.execute(toolCall('read_file', { path: 'src/app' }), adminContext);
    expect(read.content).toBe('Error from read_file: src/app is a directory, not a file: list it with the terminal (ls -la).');
    const written = await registry.execute(toolCall('write_file', { path: 'src/app', content: 'print(1)\n' }), adminContext);
    expect(written.content).toBe('Error from write_file: src/app is a directory, not a file: give the path of a file in it or beside it.');
    expect((await registry.execute(toolCall('terminal', { command: 'ls -A src/app' }), adminContext)).content).toMatch(/--- stdout ---\nmain\.py\n$/);
  });

  it('say a FIFO is not a regular file instead of "No such file"', async () => {
    const registry = world.tools();
    await registry.execute(toolCall('terminal', { command: 'mkfifo events' }), adminContext);
    expect((await registry.execute(toolCall('read_file', { path: 'events' }), adminContext)).content).toBe('Error from read_file: events is not a regular file (a device, FIFO or socket): inspect it with the terminal.');
  });

  it('show UTF-16 text without a byte-order mark, and still call a binary file binary', async () => {
    const registry = world.tools();
    const utf16 = Buffer.from('id,name\n1,Zoë\n', 'utf16le').toString('base64');
    await registry.execute(toolCall('write_file', { path: 'export.csv', content: utf16, encoding: 'base64' }), adminContext);
    const shown = (await registry.execute(toolCall('read_file', { path: 'export.csv' }), adminContext)).content;
    expect(shown.split('\n')[0]).toMatch(/^export\.csv \(2 lines, 28 bytes, read as UTF-16LE/);
    expect(shown.split('\n').slice(1)).toEqual(['1│id,name', '2│1,Zoë']);
    await registry.execute(toolCall('write_file', { path: 'blob.bin', content: Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0, 0, 0, 1, 0xff, 0]).toString('base64'), encoding: 'base64' }), adminContext);
    expect((await registry.execute(toolCall('read_file', { path: 'blob.bin' }), adminContext)).content).toBe('blob.bin is a binary file (10 bytes). Inspect it with the terminal (file, xxd, …).');
  });
});

describe("the shell back ends' read script", () => {
  it('says a directory or a FIFO is not a file, and a missing file is missing', async () => {
    const root = tempDir('cairn-odd-shell-');
    const workdir = join(root, 'work');
    const stateDir = join(root, '.state');
    mkdirSync(join(workdir, 'docs'), { recursive: true });
    execFileSync('mkfifo', [join(workdir, 'pipe')]);
    const env = { PATH: TEST_PATH };
    // The base class reads through the shell script, as the docker, ssh, singularity, modal and daytona back ends do.
    const environment = new ShellEnvironment({ backend: 'ssh', sessionId: 'odd', workdir, stateDir, env, transport: new ProcessTransport((script) => ['/bin/sh', ['-c', script]], { cwd: root, env }), defaultTimeoutMs: 10_000 });
    try {
      await expect(environment.readFile('docs')).rejects.toThrow(/^docs is a directory, not a file: list it with the terminal \(ls -la\)\.$/);
      await expect(environment.readFile('pipe')).rejects.toThrow(/^pipe is not a regular file \(a device, FIFO or socket\): inspect it with the terminal\.$/);
      await expect(environment.readFile('missing.txt')).rejects.toThrow(/^No such file: missing\.txt$/);
    } finally {
      await environment.stop();
    }
  });
});
