/**
 * The session's working directory when its name ends in a space or a line break. The file tools
 * trimmed the saved directory (read_file after `cd "draft "` read `draft/x`, another file, and
 * write_file wrote there), and the wrapper's `$(cat …)` dropped a name's trailing line breaks
 * (the next command ran in the session's directory).
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import { ProcessTransport } from '../../src/backends/process-transport.js';
import { ShellEnvironment } from '../../src/backends/shell-environment.js';
import { ManualTimers, TEST_PATH, tempDir } from './helpers.js';

const backend = new LocalBackend({ workRoot: tempDir('cairn-odd-cwd-'), defaultTimeoutMs: 10_000 });
const start = (name: string) => backend.start(`${name}-${process.pid}`, { env: { PATH: TEST_PATH } });

describe('a working directory whose name ends in a space or a line break', () => {
  it('read_file and write_file act in "draft ", not in "draft"', async () => {
    const environment = await start('space');
    try {
      await environment.exec({ command: 'mkdir -p "draft " draft && echo mine > "draft /notes.md" && echo other > draft/notes.md && cd "draft "' });
      expect(Buffer.from(await environment.readFile('notes.md')).toString()).toBe('mine\n');
      await environment.writeFile('notes.md', Buffer.from('edited\n'));
      expect(readFileSync(join(environment.workdir, 'draft ', 'notes.md'), 'utf8')).toBe('edited\n');
      expect(readFileSync(join(environment.workdir, 'draft', 'notes.md'), 'utf8')).toBe('other\n');
    } finally {
      await environment.stop();
    }
  });

  it('the next command runs in "logs\\n", and `cd /` is still `/`', async () => {
    const environment = await start('newline');
    try {
      await environment.exec({ command: 'mkdir -p "logs\n" && echo inside > "logs\n/today" && cd "logs\n"' });
      expect((await environment.exec({ command: 'cat today' })).stdout).toBe('inside\n');
      expect(Buffer.from(await environment.readFile('today')).toString()).toBe('inside\n');
      await environment.exec({ command: 'cd /' });
      expect((await environment.exec({ command: 'pwd' })).stdout).toBe('/\n');
    } finally {
      await environment.stop();
    }
  });

  it('a command timed out in "logs\\n" leaves the session there', async () => {
    const root = tempDir('cairn-odd-cwd-');
    const workdir = join(root, 'work');
    const stateDir = join(root, '.state');
    mkdirSync(workdir, { recursive: true });
    const env = { PATH: TEST_PATH };
    const timers = new ManualTimers();
    const environment = new ShellEnvironment({ backend: 'local', sessionId: 'odd', workdir, stateDir, env, transport: new ProcessTransport((script) => ['/bin/sh', ['-c', script]], { cwd: root, env }), defaultTimeoutMs: 60_000, timers });
    try {
      const running = environment.exec({ command: 'mkdir -p "logs\n" && cd "logs\n" && touch ../started && sleep 30' });
      await vi.waitFor(() => expect(existsSync(join(workdir, 'started'))).toBe(true), { timeout: 10_000 });
      timers.fireAll();
      expect((await running).timedOut).toBe(true);
      expect((await environment.exec({ command: 'pwd' })).stdout).toBe(`${join(workdir, 'logs\n')}\n`);
    } finally {
      await environment.stop();
    }
  });
});
