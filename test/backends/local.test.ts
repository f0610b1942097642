import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it, vi } from 'vitest';
import { LocalBackend } from '../../src/backends/local.js';
import { TEST_PATH, isAlive, tempDir } from './helpers.js';
import { backendContract } from './contract.js';

const backend = new LocalBackend({ workRoot: tempDir('cairn-local-'), defaultTimeoutMs: 10_000 });

backendContract('local', {
  skip: undefined,
  start: (sessionId) => backend.start(sessionId, { env: { PATH: TEST_PATH } }),
  isCleanedUp: async (environment) => !existsSync(environment.workdir),
});

describe('local back end', () => {
  it('ends what its commands left running when it stops: jobs in the background and a command still running', async () => {
    const environment = await backend.start(`bg-${process.pid}`, { env: { PATH: TEST_PATH } });
    await environment.exec({ command: 'sleep 300 > /dev/null 2>&1 & echo $! > job.pid' });
    const job = Number((await environment.exec({ command: 'cat job.pid' })).stdout.trim());
    expect(isAlive(job)).toBe(true);
    // Left waiting, as a turn would be while the environment goes (session ended, shutdown).
    void environment.exec({ command: 'echo $$ > long.pid; exec sleep 300' }).catch(() => undefined);
    await vi.waitFor(() => expect(existsSync(`${environment.workdir}/long.pid`)).toBe(true));
    const long = Number(readFileSync(`${environment.workdir}/long.pid`, 'utf8').trim());
    await environment.stop();
    await vi.waitFor(() => expect([isAlive(job), isAlive(long)]).toEqual([false, false]));
  });

  it('runs a command with a timeout past Node\'s largest timer (about 24.8 days), which would fire at once, to its end', async () => {
    const environment = await backend.start(`long-${process.pid}`, { env: { PATH: TEST_PATH } });
    try {
      const result = await environment.exec({ command: 'i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; echo finished', timeoutMs: 30 * 24 * 3600 * 1000 });
      expect(result).toMatchObject({ timedOut: false, exitCode: 0, stdout: 'finished\n' });
    } finally {
      await environment.stop();
    }
  });

  it('makes the session directory again when a command removed it (every later command failed)', async () => {
    const environment = await backend.start(`gone-${process.pid}`, { env: { PATH: TEST_PATH } });
    try {
      expect((await environment.exec({ command: 'rm -rf "$PWD"' })).exitCode).toBe(0);
      const next = await environment.exec({ command: 'pwd && touch made' });
      expect(next.exitCode).toBe(0);
      expect(next.stdout.trim()).toBe(environment.workdir);
      expect(next.stderr).toContain(`[the session's directory ${environment.workdir} was gone; it is made again, empty]`);
      expect(existsSync(`${environment.workdir}/made`)).toBe(true);
    } finally {
      await environment.stop();
    }
  });
});
