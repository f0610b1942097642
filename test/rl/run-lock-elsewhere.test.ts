/**
 * run.lock on a run directory that processes on other machines or in other containers can reach
 * (a shared volume, NFS): a pid from there means nothing here. Node has the same pid in every
 * container of one image (tini is pid 1), so judged by its pid a live run's lock was taken over,
 * and two runs appended to one trajectories file.
 */
import { readFileSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { runPaths } from '../../src/rl/run-dir.js';
import { ELSEWHERE_STALE_MS, HEARTBEAT_MS, lockRun } from '../../src/rl/run-lock.js';

/** Above the largest pid_max Linux allows (2^22), so no process has it here. */
const GONE = 4_194_305;
const ELSEWHERE = 'other-host pid:[4026532999]';

const ago = (ms: number) => new Date(Date.now() - ms);

afterEach(() => {
  vi.useRealTimers();
});

describe('run.lock placed elsewhere', () => {
  it('records where its pid means something', async () => {
    const paths = runPaths(tempDir('cairn-lock-'));
    const unlock = await lockRun(paths);
    const [pid, token, place] = readFileSync(paths.lock, 'utf8').split('\n');
    expect(Number(pid)).toBe(process.pid);
    expect(token).toMatch(/^[0-9a-f-]{36}$/);
    expect(place).not.toBe('');
    await unlock();
  });

  it('is not taken over while its holder renews it, whatever its pid is here', async () => {
    for (const pid of [process.pid, GONE]) {
      const paths = runPaths(tempDir('cairn-lock-'));
      const theirs = `${pid}\nsome-token\n${ELSEWHERE}\n`;
      writeFileSync(paths.lock, theirs);
      utimesSync(paths.lock, ago(ELSEWHERE_STALE_MS / 2), ago(ELSEWHERE_STALE_MS / 2));
      await expect(lockRun(paths)).rejects.toThrow(/other-host \(another machine or container\).*renewed its lock 60 s ago.*delete .*run\.lock/s);
      expect(readFileSync(paths.lock, 'utf8')).toBe(theirs);
    }
  });

  it('is taken over once it has not been renewed for a while (its holder is gone)', async () => {
    const paths = runPaths(tempDir('cairn-lock-'));
    writeFileSync(paths.lock, `${process.pid}\nsome-token\n${ELSEWHERE}\n`);
    utimesSync(paths.lock, ago(ELSEWHERE_STALE_MS + 1_000), ago(ELSEWHERE_STALE_MS + 1_000));
    const unlock = await lockRun(paths);
    expect(readFileSync(paths.lock, 'utf8')).toMatch(new RegExp(`^${process.pid}\\n`));
    await unlock();
  });

  it('is renewed by its holder while held, and no longer once released', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const paths = runPaths(tempDir('cairn-lock-'));
    const unlock = await lockRun(paths);
    utimesSync(paths.lock, ago(ELSEWHERE_STALE_MS), ago(ELSEWHERE_STALE_MS));
    vi.advanceTimersByTime(HEARTBEAT_MS);
    await vi.waitFor(() => expect(Date.now() - statSync(paths.lock).mtimeMs).toBeLessThan(HEARTBEAT_MS));
    await unlock();
    expect(vi.getTimerCount()).toBe(0);
  });
});
