/**
 * Progress of a batch run on stderr: a live bar with rate and ETA on a terminal
 * (cli-progress), plain lines at most every `intervalMs` otherwise (CI logs, Slurm
 * output files), so logs stay readable.
 */
import cliProgress from 'cli-progress';
import type { Clock } from '../core/clock.js';
import type { Trajectory } from './trajectory.js';

export interface ProgressOptions {
  total: number;
  /** Already finished before this process started (resume), and how many of those ended ok. */
  alreadyDone: number;
  alreadyOk?: number;
  stream: NodeJS.WritableStream & { isTTY?: boolean };
  clock: Clock;
  intervalMs?: number;
  label?: string;
}

export interface Progress {
  finished(trajectory: Trajectory): void;
  stop(): void;
}

export function createProgress(options: ProgressOptions): Progress {
  return options.stream.isTTY ? barProgress(options) : lineProgress(options);
}

interface Counts {
  done: number;
  ok: number;
  failed: number;
}

function initialCounts(options: ProgressOptions): Counts {
  const ok = options.alreadyOk ?? 0;
  return { done: options.alreadyDone, ok, failed: options.alreadyDone - ok };
}

function barProgress(options: ProgressOptions): Progress {
  const counts = initialCounts(options);
  const bar = new cliProgress.SingleBar(
    {
      stream: options.stream,
      // Our own ETA, from this run's rate: cli-progress's counts the tasks a resumed run
      // started with as progress, and says 0s before the first task of this run ends.
      format: `${options.label ?? 'batch'} {bar} {percentage}% | {value}/{total} | ok {ok} failed {failed} | {rate}/s | ETA {timeLeft}`,
      hideCursor: true,
    },
    cliProgress.Presets.shades_classic,
  );
  const started = options.clock.now();
  bar.start(options.total, counts.done, { ok: counts.ok, failed: counts.failed, rate: '0.0', timeLeft: etaText(options.total - counts.done, 0) });
  let thisRun = 0;
  return {
    finished(trajectory) {
      tally(counts, trajectory);
      thisRun++;
      const rate = thisRun / Math.max(0.001, (options.clock.now() - started) / 1000);
      bar.update(counts.done, { ok: counts.ok, failed: counts.failed, rate: rate.toFixed(1), timeLeft: etaText(options.total - counts.done, rate) });
    },
    stop: () => bar.stop(),
  };
}

function lineProgress(options: ProgressOptions): Progress {
  const counts = initialCounts(options);
  const interval = options.intervalMs ?? 10_000;
  const started = options.clock.now();
  let lastLine = Number.NEGATIVE_INFINITY;
  let thisRun = 0;
  const label = options.label ?? 'batch';
  const line = () => {
    const elapsed = (options.clock.now() - started) / 1000;
    const rate = elapsed > 0 ? thisRun / elapsed : 0;
    const eta = etaText(options.total - counts.done, rate);
    const percent = options.total ? ((100 * counts.done) / options.total).toFixed(1) : '100.0';
    options.stream.write(`[${label}] ${counts.done}/${options.total} (${percent}%) ok ${counts.ok} failed ${counts.failed} · ${rate.toFixed(1)} tasks/s · ETA ${eta}\n`);
    lastLine = options.clock.now();
  };
  if (options.alreadyDone > 0) options.stream.write(`[${label}] resuming: ${options.alreadyDone} of ${options.total} tasks already done\n`);
  return {
    finished(trajectory) {
      tally(counts, trajectory);
      thisRun++;
      if (options.clock.now() - lastLine >= interval || counts.done === options.total) line();
    },
    stop() {
      if (lastLine < started || counts.done !== options.total) line();
    },
  };
}

function tally(counts: Counts, trajectory: Trajectory): void {
  counts.done++;
  if (trajectory.status === 'ok') counts.ok++;
  else counts.failed++;
}

/** Time left at this rate (tasks per second); "?" until the rate is known. */
function etaText(left: number, rate: number): string {
  return left <= 0 ? '0s' : rate > 0 ? formatDuration(left / rate) : '?';
}

export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}
