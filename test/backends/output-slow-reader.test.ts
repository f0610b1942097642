/**
 * The end of a command's output when Cairn reads it slowly (ssh over a slow link once its window
 * is full, a remote Docker host, a busy Cairn): once the command's shell ended, a reader still
 * copying its output is waited for while nothing else holds its FIFO, and given up on (so the
 * command returns) only once a job left running holds it. The transport here is the local one
 * behind a slow link: nothing of the wrapper's stdout is passed on until the wrapper has exited,
 * or 2 s have passed.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ProcessTransport } from '../../src/backends/process-transport.js';
import { ShellEnvironment } from '../../src/backends/shell-environment.js';
import { TEST_PATH, tempDir } from './helpers.js';

/** `sh -c script`, its stdout held back (as by a congested link) until it exits, at most 2 s. */
const SLOW_LINK = [
  'm=$(mktemp -u)',
  '{ sh -c "$1"; rc=$?; : > "$m"; exit $rc; } | { i=0; while [ ! -e "$m" ] && [ $i -lt 40 ]; do sleep 0.05; i=$((i+1)); done; rm -f "$m"; cat; }',
].join('\n');

function behindSlowLink(): ShellEnvironment {
  const root = tempDir('cairn-slow-link-');
  const workdir = join(root, 'session');
  const stateDir = join(root, '.state', 'session');
  mkdirSync(workdir, { recursive: true });
  mkdirSync(stateDir, { recursive: true });
  const env = { PATH: TEST_PATH };
  return new ShellEnvironment({
    backend: 'ssh',
    sessionId: 'session',
    workdir,
    stateDir,
    env,
    transport: new ProcessTransport((script) => ['/bin/sh', ['-c', SLOW_LINK, 'sh', script]], { cwd: root, env }),
    defaultTimeoutMs: 30_000,
  });
}

describe("the end of a command's output when Cairn reads it slowly", () => {
  it('arrives whole: the readers still copying it are not killed', async () => {
    const environment = behindSlowLink();
    try {
      // 100 kB of log (more than a pipe holds), then the line that matters; nothing is left running.
      const result = await environment.exec({ command: "head -c 100000 /dev/zero | tr '\\0' x; echo; echo 'FAILED: 3 tests'" });
      expect(result).toMatchObject({ exitCode: 0, omittedBytes: 0 });
      expect(result.stdout.length).toBe(100_000 + 1 + 'FAILED: 3 tests\n'.length);
      expect(result.stdout.endsWith('\nFAILED: 3 tests\n')).toBe(true);
    } finally {
      await environment.stop();
    }
  });

  it('still returns when the command ends if a job it left running holds the output', async () => {
    const environment = behindSlowLink();
    try {
      const result = await environment.exec({ command: 'sleep 30 & echo started', timeoutMs: 20_000 });
      expect(result).toMatchObject({ exitCode: 0, timedOut: false, stdout: 'started\n' });
      expect(result.durationMs).toBeLessThan(5_000);
    } finally {
      await environment.stop();
    }
  });
});
