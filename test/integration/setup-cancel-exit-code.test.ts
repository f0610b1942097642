/**
 * Ctrl-C during `cairn setup` (in a terminal: the prompt reads it as a key, so no SIGINT
 * reaches anyone) writes nothing and exits 130, as for SIGINT: the README's first line,
 * `npx cairn setup && npx cairn chat`, then stops instead of going on to chat.
 *
 * The command runs in a real pseudo-terminal (util-linux `script`), as a person runs it; where
 * there is no such `script` (BSD's and macOS's take other arguments) the test is skipped.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';

function inTerminal(command: string, cwd: string): { output: () => string; type: (keys: string) => void; shown: (text: string) => Promise<void>; exited: Promise<number | null> } {
  const child = spawn('script', ['-qec', command, '/dev/null'], {
    cwd,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: cwd, TMPDIR: tmpdir(), TERM: 'xterm', CAIRN_DATA_DIR: join(cwd, 'data') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let output = '';
  const waiters: { text: string; resolve: () => void }[] = [];
  const onData = (chunk: Buffer) => {
    output += chunk.toString();
    for (const waiter of [...waiters]) {
      if (!output.includes(waiter.text)) continue;
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
  };
  child.stdout.on('data', onData);
  child.stderr.on('data', onData);
  return {
    output: () => output,
    type: (keys) => void child.stdin.write(keys),
    shown: (text) => (output.includes(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ text, resolve }))),
    exited: new Promise((resolve) => child.on('close', (code) => resolve(code))),
  };
}

const hasUtilLinuxScript = /util-linux/.test(spawnSync('script', ['--version'], { encoding: 'utf8' }).stdout ?? '');

describe('cairn setup cancelled with Ctrl-C', () => {
  it.skipIf(!hasUtilLinuxScript)('exits 130, so `npx cairn setup && npx cairn chat` (the README) does not go on to chat', async () => {
    const cwd = tempDir();
    const bin = join(process.cwd(), 'bin', 'cairn.js');
    const terminal = inTerminal(`"${process.execPath}" "${bin}" setup && echo NEXT-COMMAND-RAN`, cwd);
    await terminal.shown('Which model should Cairn use?');
    terminal.type('\x03');
    const code = await terminal.exited;
    expect(terminal.output()).toContain('Setup cancelled; nothing was written.');
    expect(terminal.output()).not.toContain('NEXT-COMMAND-RAN');
    expect(code).toBe(130);
    expect(existsSync(join(cwd, '.env'))).toBe(false);
  });
});

describe('cairn setup --file', () => {
  it.skipIf(!hasUtilLinuxScript)('writes to a file that does not exist yet (Node took `--env-file` as its own option and exited 9)', async () => {
    const cwd = tempDir();
    const bin = join(process.cwd(), 'bin', 'cairn.js');
    const terminal = inTerminal(`"${process.execPath}" "${bin}" setup --file prod.env`, cwd);
    await terminal.shown('Which model should Cairn use?');
    expect(terminal.output()).toContain(`Your answers go to ${join(cwd, 'prod.env')}`);
    terminal.type('\x03');
    expect(await terminal.exited).toBe(130);
  });

  it.skipIf(!hasUtilLinuxScript)('says before the first question when it could not write the file', async () => {
    const cwd = tempDir();
    const bin = join(process.cwd(), 'bin', 'cairn.js');
    const terminal = inTerminal(`"${process.execPath}" "${bin}" setup --file missing/prod.env`, cwd);
    expect(await terminal.exited).toBe(1);
    expect(terminal.output()).toContain(`Setup cannot write ${join(cwd, 'missing', 'prod.env')}: the folder ${join(cwd, 'missing')} does not exist.`);
    expect(terminal.output()).not.toContain('Which model');
  });
});
