/**
 * run.lock keeps two `cairn batch run` (or `batch rewards`) off one run directory. Each case
 * sets up on disk the moment a racing process would meet, so no test depends on timing.
 */
import { existsSync, readdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { runPaths } from '../../src/rl/run-dir.js';
import { lockRun, UNNAMED_LOCK_STALE_MS } from '../../src/rl/run-lock.js';

/** Above the largest pid_max Linux allows (2^22), so no process has it. */
const GONE = 4_194_305;
/** A process other than this one that runs as long as the test does. */
const RUNNING = process.ppid;

const lockPid = (path: string) => Number(readFileSync(path, 'utf8').split('\n', 1)[0]);

describe('run.lock', () => {
  it('appears with its holder pid, and unlocking removes it', async () => {
    const paths = runPaths(tempDir('cairn-lock-'));
    const unlock = await lockRun(paths);
    expect(lockPid(paths.lock)).toBe(process.pid);
    await expect(lockRun(paths, RUNNING)).rejects.toThrow(`Another cairn process (pid ${process.pid}) is working on ${paths.dir}`);
    await unlock();
    expect(existsSync(paths.lock)).toBe(false);
  });

  it('is not taken over while it names no process yet (its holder created it and has not written it)', async () => {
    const paths = runPaths(tempDir('cairn-lock-'));
    writeFileSync(paths.lock, '');
    await expect(lockRun(paths, RUNNING)).rejects.toThrow(/Another cairn process is taking .*run\.lock/);
    expect(readFileSync(paths.lock, 'utf8')).toBe('');
  });

  it('is taken over once it has named no process for longer than a write takes (a crash left it empty)', async () => {
    const paths = runPaths(tempDir('cairn-lock-'));
    writeFileSync(paths.lock, '');
    const past = (Date.now() - UNNAMED_LOCK_STALE_MS - 1_000) / 1000;
    utimesSync(paths.lock, past, past);
    await lockRun(paths);
    expect(lockPid(paths.lock)).toBe(process.pid);
  });

  it('is taken over from a process that no longer runs, written by this version or an older one', async () => {
    for (const stale of [`${GONE}\nsome-token\n`, String(GONE)]) {
      const paths = runPaths(tempDir('cairn-lock-'));
      writeFileSync(paths.lock, stale);
      const unlock = await lockRun(paths);
      expect(lockPid(paths.lock)).toBe(process.pid);
      await unlock();
      expect(existsSync(paths.lock)).toBe(false);
    }
  });

  it('goes to one of two processes that take over one stale lock at once', async () => {
    for (let round = 0; round < 20; round++) {
      const paths = runPaths(tempDir('cairn-lock-'));
      writeFileSync(paths.lock, `${GONE}\n`);
      const outcomes = await Promise.allSettled([lockRun(paths, process.pid), lockRun(paths, RUNNING)]);
      const held = outcomes.filter((outcome) => outcome.status === 'fulfilled');
      expect(held).toHaveLength(1);
      expect([process.pid, RUNNING]).toContain(lockPid(paths.lock));
      // No temporary or set-aside lock is left behind.
      expect(readdirSync(paths.dir)).toEqual(['run.lock']);
    }
  });

  it('is left alone by a holder it was taken from (one thought gone), so the new holder keeps it', async () => {
    const paths = runPaths(tempDir('cairn-lock-'));
    const unlockFirst = await lockRun(paths, GONE);
    const unlockSecond = await lockRun(paths);
    await unlockFirst();
    expect(lockPid(paths.lock)).toBe(process.pid);
    await unlockSecond();
    expect(existsSync(paths.lock)).toBe(false);
  });
});
