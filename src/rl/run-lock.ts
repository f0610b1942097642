/**
 * `run.lock`: keeps two processes (`cairn batch run`, `cairn batch rewards`) from writing one
 * run directory at once. The file holds the holder's pid, a token of its own, and where the pid
 * means something (host name and pid namespace):
 *
 * - It appears whole: the content is written to a temporary file first and hard-linked into
 *   place, which fails if a lock is there. (Created empty and written after, a process that
 *   read it in between saw no pid and took it for stale.)
 * - A lock whose pid is not running is stale and taken over; one that names no pid is held,
 *   unless it is older than a writer could take (a power cut can leave a linked file empty).
 * - A lock placed on another machine, or in another container (a run directory on a shared
 *   volume), names a pid that means nothing here: its holder renews it every HEARTBEAT_MS, and
 *   it is stale once it has not been renewed for ELSEWHERE_STALE_MS. (Judged by its pid, it was
 *   taken over from a live run: node has the same pid in every container of one image.)
 * - A stale lock is removed only after it has been renamed aside and found to be the very
 *   lock that was judged stale: two processes taking it over at once cannot remove the lock
 *   the quicker one has just placed.
 * - Unlocking removes the lock only while it is still this holder's own.
 */
import { randomUUID } from 'node:crypto';
import { readlinkSync } from 'node:fs';
import { link, mkdir, readFile, rename, rm, stat, utimes, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { CairnError } from '../core/errors.js';
import type { RunPaths } from './run-dir.js';

/** How long a lock may name no pid before it counts as stale: far longer than one write, short enough that nobody waits on it. */
export const UNNAMED_LOCK_STALE_MS = 10_000;

/** How often a holder renews its lock's time, so that a process elsewhere can tell it still runs. */
export const HEARTBEAT_MS = 15_000;
/** A lock placed elsewhere and not renewed for this long is stale: many beats, with room for clocks a little apart and NFS attribute caching (up to 60 s). */
export const ELSEWHERE_STALE_MS = 120_000;

/** Placing, then taking over a stale lock, then placing again; more means others keep taking it. */
const ATTEMPTS = 3;

/** Takes the run's lock; returns what releases it. A lock left by a process that no longer runs is taken over. */
export async function lockRun(paths: RunPaths, pid = process.pid): Promise<() => Promise<void>> {
  await mkdir(paths.dir, { recursive: true });
  const here = thisPlace();
  const mine = `${pid}\n${randomUUID()}\n${here}\n`;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await placeLock(paths.lock, mine)) return keepRenewed(paths.lock, mine);
    const found = await readLock(paths.lock);
    if (found === undefined) continue; // released meanwhile
    const holder = holderPid(found.content);
    // Written by an older version (no place): judged by its pid, as it was.
    const place = found.content.split('\n')[2]?.trim() || here;
    if (place !== here && found.quietMs < ELSEWHERE_STALE_MS) throw heldElsewhere(paths, holder, place, found.quietMs);
    if (place === here) {
      if (holder === undefined && found.quietMs <= UNNAMED_LOCK_STALE_MS) {
        throw new CairnError('invalid_input', `Another cairn process is taking ${paths.lock} (it names no process yet), or a crash left it empty. If no cairn process is working on ${paths.dir}, delete that file.`);
      }
      // Its own pid is stale too: an older version's lock in a container restarted with the same pid.
      if (holder !== undefined && holder !== pid && isAlive(holder)) throw heldBy(paths, holder);
    }
    const outcome = await removeIfStill(paths.lock, found.content);
    if (typeof outcome === 'object') throw heldBy(paths, outcome.holder);
  }
  throw new CairnError('storage', `Cannot take the lock ${paths.lock}: other processes keep taking it.`);
}

function heldElsewhere(paths: RunPaths, pid: number | undefined, place: string, quietMs: number): CairnError {
  const host = place.split(' ')[0] ?? place;
  return new CairnError(
    'invalid_input',
    `Another cairn process${pid === undefined ? '' : ` (pid ${pid})`} on ${host} (another machine or container) is working on ${paths.dir}; it renewed its lock ${Math.max(0, Math.round(quietMs / 1000))} s ago. Wait for it, or stop it first. A lock not renewed for ${ELSEWHERE_STALE_MS / 60_000} minutes is taken over; if that process is gone, delete ${paths.lock} to go on now.`,
  );
}

/**
 * Where a pid names a process: this host, and on Linux this pid namespace (containers sharing
 * the host's name, with --network host, each have their own).
 */
function thisPlace(): string {
  let namespace = '';
  try {
    namespace = readlinkSync('/proc/self/ns/pid');
  } catch {
    // No /proc (macOS): the host name alone.
  }
  return `${hostname()}${namespace ? ` ${namespace}` : ''}`.replace(/\s+/g, ' ').trim();
}

/** Renews the lock's time while it is held, for processes elsewhere (see ELSEWHERE_STALE_MS); returns what releases it. */
function keepRenewed(lock: string, mine: string): () => Promise<void> {
  const beat = setInterval(() => {
    const now = new Date();
    utimes(lock, now, now).catch(() => undefined);
  }, HEARTBEAT_MS);
  // A run that has ended must not be kept alive by its lock.
  beat.unref();
  return () => {
    clearInterval(beat);
    return unlock(lock, mine);
  };
}

function heldBy(paths: RunPaths, pid: number | undefined): CairnError {
  return new CairnError('invalid_input', `Another cairn process${pid === undefined ? '' : ` (pid ${pid})`} is working on ${paths.dir}. Wait for it, or stop it first.`);
}

/** Links a file holding `content` to `lock`; false if a lock is already there. */
async function placeLock(lock: string, content: string): Promise<boolean> {
  const tmp = `${lock}.${randomUUID()}.tmp`;
  await writeFile(tmp, content, { flag: 'wx' });
  try {
    await link(tmp, lock);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EEXIST') return false;
    // No hard links here (FAT, some network mounts): create it in place. While it is still
    // empty, readers take it as held (see lockRun).
    if (code === 'EPERM' || code === 'ENOTSUP' || code === 'ENOSYS') return createInPlace(lock, content);
    throw error;
  } finally {
    await rm(tmp, { force: true });
  }
}

async function createInPlace(lock: string, content: string): Promise<boolean> {
  try {
    await writeFile(lock, content, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

/** The lock's content and how long since it was written or renewed, or undefined if there is none. Unreadable counts as held by nobody we can name. */
async function readLock(lock: string): Promise<{ content: string; quietMs: number } | undefined> {
  try {
    const [content, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    return { content, quietMs: Date.now() - info.mtimeMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { content: '', quietMs: 0 };
  }
}

function holderPid(content: string): number | undefined {
  const pid = Number(content.split('\n', 1)[0]?.trim());
  return Number.isInteger(pid) && pid > 0 ? pid : undefined;
}

/**
 * Removes the lock if it still holds `stale`. Renamed aside first (atomic), so what is checked is
 * what was removed. A lock placed since (another process took the stale one over first) is
 * linked back, and its holder returned.
 */
async function removeIfStill(lock: string, stale: string): Promise<'removed' | 'gone' | { holder: number | undefined }> {
  const aside = `${lock}.${randomUUID()}.stale`;
  try {
    await rename(lock, aside);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 'gone';
    throw error;
  }
  try {
    const moved = await readFile(aside, 'utf8');
    if (moved === stale) return 'removed';
    // Only a third process placing its lock in the instant this one was aside gets past this link.
    await link(aside, lock).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
    return { holder: holderPid(moved) };
  } finally {
    await rm(aside, { force: true });
  }
}

async function unlock(lock: string, mine: string): Promise<void> {
  const current = await readFile(lock, 'utf8').catch(() => undefined);
  // A lock taken over (this process was thought gone) is someone else's now.
  if (current === mine) await rm(lock, { force: true });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
