/**
 * What `cairn atropos serve` tells a person following its log over days: why it pauses and for how long
 * (a trainer that stopped pulling looks, from here, like a slow one: the line says which numbers to look
 * at), and every few minutes how many groups went out, at what rate, where it is in the tasks, and the
 * trainer's step. Lines are few on purpose: one per pause and per resume, one every PROGRESS_LOG_MS.
 */
import type { Logger } from '../../core/logger.js';
import type { EnvStatus } from './client.js';
import type { AtroposRunStats } from './environment.js';
import type { TaskProgress } from './progress.js';

/** How long a send under way when the stop came may still take, so the group is known to have arrived. */
export const SEND_GRACE_MS = 5_000;

/** A progress line at most this often (and after the first group). */
export const PROGRESS_LOG_MS = 5 * 60_000;

/** While paused, the pause is said again this often. */
export const STILL_PAUSED_LOG_MS = 10 * 60_000;

const minutes = (ms: number) => Math.round(ms / 60_000);

export function pauseWatch(options: { logger: Logger; pollMs: number; maxBatchesOffpolicy: number }) {
  let pausedMs: number | undefined;
  let saidAt = 0;
  return {
    /** A poll found the trainer too far behind; true when this poll starts a pause. */
    paused(status: EnvStatus, queued: number, batchSize: number): boolean {
      const starts = pausedMs === undefined;
      if (starts) {
        pausedMs = 0;
        saidAt = 0;
        options.logger.info(
          { step: status.current_step, queueSize: status.queue_size, queuedSequences: queued, limit: options.maxBatchesOffpolicy * batchSize },
          `Atropos: pausing: ${queued} sequences wait for the trainer, ${options.maxBatchesOffpolicy} batch(es) of ${batchSize} (--max-offpolicy); going on once it takes a batch`,
        );
      } else {
        pausedMs = (pausedMs ?? 0) + options.pollMs;
        if (pausedMs - saidAt >= STILL_PAUSED_LOG_MS) {
          saidAt = pausedMs;
          options.logger.warn(
            { step: status.current_step, queueSize: status.queue_size, pausedMinutes: minutes(pausedMs) },
            `Atropos: still paused after ${minutes(pausedMs)} min: the trainer took no batch (step ${status.current_step}); is it running and pulling from this API?`,
          );
        }
      }
      return starts;
    },
    /** A poll found room. */
    going(status: EnvStatus): void {
      if (pausedMs === undefined) return;
      options.logger.info({ step: status.current_step, pausedMinutes: minutes(pausedMs) }, `Atropos: the trainer took a batch (step ${status.current_step}); going on after ${minutes(pausedMs)} min paused`);
      pausedMs = undefined;
    },
  };
}

export function progressWatch(options: { logger: Logger; now: () => number; stats: AtroposRunStats; progress: TaskProgress }) {
  const { stats, progress } = options;
  const sentOf = () => stats.groups.received + stats.groups.buffered;
  let last: { at: number; sent: number } | undefined;
  return {
    /** After each group: a line after the first, then at most every PROGRESS_LOG_MS. */
    after(step: number): void {
      const now = options.now();
      if (last && now - last.at < PROGRESS_LOG_MS) return;
      const sent = sentOf();
      const perHour = last && now > last.at ? Math.round(((sent - last.sent) * 3_600_000) / (now - last.at)) : undefined;
      const skipped = stats.groups['equal-scores'] + stats.groups['too-long'] + stats.groups.incomplete + stats.groups.failed;
      options.logger.info(
        { groupsSent: sent, trajectories: stats.trajectories, groupsPerHour: perHour, skipped, refused: stats.groups.refused, uncertain: stats.groups.uncertain, step, next: progress.describe(progress.resumeAt) },
        `Atropos: ${sent} group(s) sent${perHour === undefined ? '' : ` (${perHour} an hour lately)`}, ${skipped} skipped; trainer at step ${step}; next ${progress.describe(progress.resumeAt)}`,
      );
      last = { at: now, sent };
    },
  };
}
