/**
 * Runs extractions in the background, one at a time, off the conversation's path.
 * The state lives on the session row, so nothing depends on this process surviving:
 * a session is `pending` from the moment it ends; `done` once its notes are written
 * (in the same transaction); `failed` with an attempt count when the aux model could
 * not do it, to be retried at the next start-up. Shutdown aborts what is in flight
 * and leaves it pending.
 *
 * Two processes may share the database (`cairn chat` beside `cairn start`), and both
 * resume pending sessions: a process claims a session before asking the model, and
 * marks it done only while it still holds the claim, in the transaction that writes
 * the notes, so each session is condensed once.
 *
 * A claim names its process and where its pid means something (store/process-gone.ts), as the
 * audit lock does: a Cairn killed mid-extraction (the OOM killer, a power cut) and started again
 * at once takes its dead predecessor's claim over then, instead of skipping the session until a
 * start more than EXTRACTION_CLAIM_STALE_MS later (on a box restarted by systemd, months away).
 */
import { randomUUID } from 'node:crypto';
import type { Db } from '../../store/db.js';
import type { Clock } from '../../core/clock.js';
import type { Logger } from '../../core/logger.js';
import { describeError, isCairnError } from '../../core/errors.js';
import type { NoteExtractor, ExtractionResult } from './extraction.js';
import { settledWithin } from '../../core/settled-within.js';
import { diedOnThisHost, samePidSpace, thisHost } from '../../store/process-gone.js';

/** Attempts (each up to two model calls) before a session is left alone. */
export const MAX_EXTRACTION_ATTEMPTS = 3;

/**
 * A claim older than this is taken as abandoned (its process died mid-extraction) and may be
 * taken over. Well above one extraction's model calls; a slower holder that finishes after a
 * takeover finds its claim gone and writes nothing.
 */
export const EXTRACTION_CLAIM_STALE_MS = 15 * 60 * 1000;

/** The claims this process's queues hold: one naming this pid that is not among them was left by an earlier process given the same pid (after a reboot). */
const HELD_IN_THIS_PROCESS = new Set<string>();

/** `<pid>:<uuid>:<host>`; claims taken by an older Cairn (`<pid>:<uuid>`) are not judged and wait to go stale. */
const CLAIM_HOLDER = /^(\d+):[0-9a-f-]{36}:(.+)$/;

/** Whether the claim's process is known to be dead: it ran where its pid means something here, and is gone. */
function claimantDied(holder: string): boolean {
  const match = CLAIM_HOLDER.exec(holder);
  if (!match) return false;
  const [, pid = '', host = ''] = match;
  if (Number(pid) === process.pid) return samePidSpace(host, thisHost()) && !HELD_IN_THIS_PROCESS.has(holder);
  return diedOnThisHost({ pid: Number(pid), host });
}

/** Thrown inside the write transaction when another process took the session over or finished it: nothing is written. */
class ClaimLost extends Error {}

export type ExtractionState = 'pending' | 'done' | 'failed';

export class ExtractionQueue {
  private readonly s;
  private readonly queue: string[] = [];
  private readonly queued = new Set<string>();
  private running: Promise<void> | undefined;
  private controller = new AbortController();
  private closed = false;
  /** This queue's name on the claims it takes: one per process (and per queue in tests). */
  private readonly holder = `${process.pid}:${randomUUID()}:${thisHost()}`;

  constructor(
    db: Db,
    private readonly extractor: NoteExtractor,
    private readonly logger: Logger,
    private readonly clock: Clock,
    private readonly onExtracted?: (sessionId: string, result: ExtractionResult) => void,
  ) {
    HELD_IN_THIS_PROCESS.add(this.holder);
    const mine = 'notes_claimed_by = @holder';
    const unclaimed = 'notes_claimed_by = NULL, notes_claimed_at = NULL';
    this.s = {
      pending: db.prepare<[string]>("UPDATE sessions SET notes_state = 'pending' WHERE id = ? AND status = 'ended'"),
      state: db.prepare<[string], { notes_state: ExtractionState | null; notes_attempts: number }>('SELECT notes_state, notes_attempts FROM sessions WHERE id = ?'),
      claim: db.prepare<[{ id: string; holder: string; now: number; staleBefore: number }]>(
        `UPDATE sessions SET notes_claimed_by = @holder, notes_claimed_at = @now
         WHERE id = @id AND notes_state IN ('pending', 'failed') AND (notes_claimed_by IS NULL OR ${mine} OR notes_claimed_at < @staleBefore)`,
      ),
      done: db.prepare<[{ id: string; holder: string }]>(
        `UPDATE sessions SET notes_state = 'done', notes_attempts = notes_attempts + 1, ${unclaimed} WHERE id = @id AND notes_state <> 'done' AND ${mine}`,
      ),
      failed: db.prepare<[{ id: string; holder: string }]>(
        `UPDATE sessions SET notes_state = 'failed', notes_attempts = notes_attempts + 1, ${unclaimed} WHERE id = @id AND notes_state <> 'done' AND ${mine}`,
      ),
      claimedBy: db.prepare<[string], string | null>("SELECT notes_claimed_by FROM sessions WHERE id = ? AND notes_state IN ('pending', 'failed')").pluck(),
      takeOver: db.prepare<[{ id: string; holder: string; dead: string; now: number }]>(
        "UPDATE sessions SET notes_claimed_by = @holder, notes_claimed_at = @now WHERE id = @id AND notes_state IN ('pending', 'failed') AND notes_claimed_by = @dead",
      ),
      release: db.prepare<[{ id: string; holder: string }]>(`UPDATE sessions SET ${unclaimed} WHERE id = @id AND ${mine}`),
      retryable: db.prepare<[number], { id: string }>(
        "SELECT id FROM sessions WHERE notes_state = 'pending' OR (notes_state = 'failed' AND notes_attempts < ?) ORDER BY ended_at, id",
      ),
    };
  }

  /** A session just ended: mark it (synchronously, so a crash cannot lose it) and start on it. */
  sessionEnded(sessionId: string): void {
    this.s.pending.run(sessionId);
    this.enqueue(sessionId);
  }

  /** Queues every session still pending or failed (fewer than the maximum attempts); how many. */
  resumePending(): number {
    const ids = this.s.retryable.all(MAX_EXTRACTION_ATTEMPTS).map((row) => row.id);
    for (const id of ids) this.enqueue(id);
    return ids.length;
  }

  state(sessionId: string): { state: ExtractionState | undefined; attempts: number } {
    const row = this.s.state.get(sessionId);
    return { state: row?.notes_state ?? undefined, attempts: row?.notes_attempts ?? 0 };
  }

  /** Resolves when the queue is empty and nothing runs. */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  /** Stops taking work; waits up to `graceMs` for the extraction in flight, then aborts it. */
  async close(graceMs: number, sleep: (ms: number) => Promise<void>): Promise<void> {
    this.closed = true;
    this.queue.length = 0;
    this.queued.clear();
    if (this.running) {
      const finished = await settledWithin(this.idle(), graceMs, sleep);
      if (!finished) this.controller.abort();
      await this.idle();
    }
    // Nothing of this queue runs any more: a claim of its left behind (the database closed before the release) is a dead one's.
    HELD_IN_THIS_PROCESS.delete(this.holder);
  }

  private enqueue(sessionId: string): void {
    if (this.closed || this.queued.has(sessionId)) return;
    this.queued.add(sessionId);
    this.queue.push(sessionId);
    this.running ??= this.drain().finally(() => (this.running = undefined));
  }

  private async drain(): Promise<void> {
    // Yield first: the caller (a session ending inside a command or a turn) finishes before any work starts.
    await Promise.resolve();
    for (let id = this.queue.shift(); id !== undefined; id = this.queue.shift()) {
      this.queued.delete(id);
      await this.runOne(id);
    }
  }

  private async runOne(sessionId: string): Promise<void> {
    const claim = { id: sessionId, holder: this.holder };
    // Not pending any more, or another process is condensing it right now.
    if (this.s.claim.run({ ...claim, now: this.clock.now(), staleBefore: this.clock.now() - EXTRACTION_CLAIM_STALE_MS }).changes === 0 && !this.takeOverDead(sessionId)) return;
    const started = Date.now();
    const finish = (): void => {
      if (this.s.done.run(claim).changes === 0) throw new ClaimLost();
    };
    try {
      const result = await this.extractor.extract(sessionId, finish, this.controller.signal);
      this.logger.info({ sessionId, ...summary(result), ms: Date.now() - started }, 'session condensed into notes');
      this.onExtracted?.(sessionId, result);
    } catch (error) {
      if (error instanceof ClaimLost) {
        this.logger.info({ sessionId }, 'another Cairn process condensed this session meanwhile; its notes are kept and these dropped');
        return;
      }
      if (this.controller.signal.aborted) {
        this.releaseQuietly(claim);
        this.logger.info({ sessionId }, 'note extraction stopped by shutdown; it runs again at the next start');
        return;
      }
      const code = isCairnError(error) ? error.code : 'internal';
      try {
        this.s.failed.run(claim);
      } catch {
        // The database closed under us: the session stays pending, which is retried too.
      }
      const attempts = this.state(sessionId).attempts;
      const next = attempts < MAX_EXTRACTION_ATTEMPTS ? 'the session is kept for a retry at the next start' : `given up after ${attempts} attempts; the session stays in the history without notes`;
      this.logger.warn({ sessionId, code, attempts, err: describeError(error) }, `note extraction failed; ${next}`);
    }
  }

  /** Takes over the claim of a process that died mid-extraction (known dead: see claimantDied); whether it did. */
  private takeOverDead(sessionId: string): boolean {
    const dead = this.s.claimedBy.get(sessionId);
    if (dead === undefined || dead === null || !claimantDied(dead)) return false;
    if (this.s.takeOver.run({ id: sessionId, holder: this.holder, dead, now: this.clock.now() }).changes === 0) return false;
    this.logger.info({ sessionId }, 'the Cairn process condensing this session died; condensing it now');
    return true;
  }

  /** Lets the next start take the session at once instead of waiting for the claim to go stale. */
  private releaseQuietly(claim: { id: string; holder: string }): void {
    try {
      this.s.release.run(claim);
    } catch {
      // The database closed first: the claim goes stale, and the session is taken over then.
    }
  }
}

function summary(result: ExtractionResult) {
  return { speakers: result.speakers, added: result.added, superseded: result.superseded, duplicates: result.duplicates };
}
