/**
 * `run.lock`: keeps two processes (`cairn batch run`, `cairn batch rewards`) from writing one
 * run directory at once. The file holds the holder's pid and a token of its own:
 *
 * - It appears whole: the content is written to a temporary file first and hard-linked into
 *   place, which fails if a lock is there. (Created empty and written after, a process that
 *   read it in between saw no pid and took it for stale.)
 * - A lock whose pid is not running is stale and taken over; one that names no pid is held,
 *   unless it is older than a writer could take (a power cut can leave a linked file empty).
 * - A stale lock is removed only after it has been renamed aside and found to be the very
 *   lock that was judged stale: two processes taking it over at once cannot remove the lock
 *   the quicker one has just placed.
 * - Unlocking removes the lock only while it is still this holder's own.
 */
import { randomUUID } from 'node:crypto';
import { link, mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { CairnError } from '../core/errors.js';
import type { RunPaths } from './run-dir.js';

/** How long a lock may name no pid before it counts as stale: far longer than one write, short enough that nobody waits on it. */
export const UNNAMED_LOCK_STALE_MS = 10_000;

/** Placing, then taking over a stale lock, then placing again; more means others keep taking it. */
const ATTEMPTS = 3;

/** Takes the run's lock; returns what releases it. A lock left by a process that no longer runs is taken over. */
export async function lockRun(paths: RunPaths, pid = process.pid): Promise<() => Promise<void>> {
  await mkdir(paths.dir, { recursive: true });
  const mine = `${pid}\n${randomUUID()}\n`;
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    if (await placeLock(paths.lock, mine)) return () => unlock(paths.lock, mine);
    const found = await readLock(paths.lock);
    if (found === undefined) continue; // released meanwhile
    const holder = holderPid(found.content);
    if (holder === undefined && !found.oldUnnamed) {
      throw new CairnError('invalid_input', `Another cairn process is taking ${paths.lock} (it names no process yet), or a crash left it empty. If no cairn process is working on ${paths.dir}, delete that file.`);
    }
    // Its own pid is stale too: a container restarted with the same pid as the run it ended.
    if (holder !== undefined && holder !== pid && isAlive(holder)) throw heldBy(paths, holder);
    const outcome = await removeIfStill(paths.lock, found.content);
    if (typeof outcome === 'object') throw heldBy(paths, outcome.holder);
  }
  throw new CairnError('storage', `Cannot take the lock ${paths.lock}: other processes keep taking it.`);
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

/** The lock's content, or undefined if there is none. Unreadable counts as held by nobody we can name. */
async function readLock(lock: string): Promise<{ content: string; oldUnnamed: boolean } | undefined> {
  try {
    const [content, info] = await Promise.all([readFile(lock, 'utf8'), stat(lock)]);
    return { content, oldUnnamed: Date.now() - info.mtimeMs > UNNAMED_LOCK_STALE_MS };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { content: '', oldUnnamed: false };
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
