/**
 * Where `cairn atropos serve` is in its tasks, kept in a small JSON file (by default in the data directory,
 * beside the scratch databases, `atropos-<name>.progress.json`), so a restarted environment (a rescheduled
 * pod, a new release) goes on where the last one stopped instead of at the first task: over days of
 * restarts the trainer would otherwise keep seeing the first tasks of the file. (atroposlib's BaseEnv keeps
 * its task counter in a checkpoint too.)
 *
 * Tasks are handed out in order, and a position counts across passes (pass 2's first task is at
 * `tasks.length`). Groups finish out of order, so the file keeps the first position not yet done and the
 * few done past it: a restart runs again exactly the tasks whose groups were under way (stopped, never
 * sent) and no task whose group went out. A task counts as done once its group was sent or given up
 * (skipped for equal scores, failed…), whatever the API answered.
 *
 * The file names the tasks it counted (a digest of their ids in order): tasks added at the end of the file
 * keep the position; a file whose tasks changed otherwise starts again at the first task, saying so. It is
 * written atomically after each group; a write that fails is logged, never the end of the run.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { CairnError, describeError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { writeFileAtomic } from '../../store/atomic-write.js';
import type { Task } from '../tasks.js';

const FORMAT = 'cairn.atropos-progress/1';

interface Saved {
  format: typeof FORMAT;
  /** How many tasks the positions count, and a digest of their ids in order. */
  tasks: number;
  tasksDigest: string;
  /** Every position below this one is done. */
  next: number;
  /** Positions past `next` already done. */
  doneAbove: number[];
  updatedAt: string;
}

export interface TaskProgressOptions {
  tasks: readonly Task[];
  /** Passes over the tasks; undefined: no end. */
  epochs?: number | undefined;
  /** The file; undefined keeps the position in memory only. */
  path?: string | undefined;
  /** Ignore the saved position (and overwrite it). */
  fromStart?: boolean;
  logger: Logger;
}

export class TaskProgress {
  private next: number;
  private readonly doneAbove: Set<number>;
  /** The next position handed out. */
  private taken: number;
  /** Where this run started. */
  readonly startedAt: number;
  private writeFailed = false;

  private constructor(
    private readonly options: TaskProgressOptions,
    start: { next: number; doneAbove: number[] },
  ) {
    this.next = start.next;
    this.doneAbove = new Set(start.doneAbove.filter((position) => position > start.next));
    this.taken = start.next;
    this.startedAt = start.next;
  }

  static open(options: TaskProgressOptions): TaskProgress {
    const { path, tasks, logger } = options;
    const saved = path && !options.fromStart ? readSaved(path) : undefined;
    if (!saved) return new TaskProgress(options, { next: 0, doneAbove: [] });
    // Tasks added at the end of the file keep the place; positions past the first pass are counted again in the new length.
    if (saved.tasks <= tasks.length && digest(tasks.slice(0, saved.tasks)) === saved.tasksDigest && saved.tasks > 0) {
      const moved = (position: number) => Math.floor(position / saved.tasks) * tasks.length + (position % saved.tasks);
      const progress = new TaskProgress(options, { next: moved(saved.next), doneAbove: saved.doneAbove.map(moved) });
      logger.info({ file: path, at: progress.describe(progress.next) }, 'Atropos: going on where the last run stopped');
      return progress;
    }
    logger.warn({ file: path }, 'Atropos: the tasks file changed since the saved progress (other tasks, or in another order); starting again at the first task');
    return new TaskProgress(options, { next: 0, doneAbove: [] });
  }

  /** The next task and its position, or undefined when the passes are over. */
  take(): { position: number; task: Task } | undefined {
    const { tasks, epochs } = this.options;
    if (tasks.length === 0) return undefined;
    while (this.doneAbove.has(this.taken)) this.taken++;
    if (epochs !== undefined && this.taken >= tasks.length * epochs) return undefined;
    const position = this.taken++;
    return { position, task: tasks[position % tasks.length] as Task };
  }

  /** The group of the task at `position` was sent or given up: a restart does not run it again. */
  done(position: number): void {
    if (position < this.next) return;
    this.doneAbove.add(position);
    while (this.doneAbove.delete(this.next)) this.next++;
    this.save();
  }

  /** The first position not done: where a restart goes on. */
  get resumeAt(): number {
    return this.next;
  }

  get file(): string | undefined {
    return this.options.path;
  }

  /** "task 37 of 120 (pass 2)". */
  describe(position: number): string {
    const count = this.options.tasks.length;
    const pass = Math.floor(position / Math.max(count, 1)) + 1;
    return `task ${(position % Math.max(count, 1)) + 1} of ${count} (pass ${pass}${this.options.epochs === undefined ? '' : ` of ${this.options.epochs}`})`;
  }

  private save(): void {
    const { path, tasks, logger } = this.options;
    if (!path) return;
    const saved: Saved = { format: FORMAT, tasks: tasks.length, tasksDigest: digest(tasks), next: this.next, doneAbove: [...this.doneAbove].sort((a, b) => a - b), updatedAt: new Date().toISOString() };
    try {
      writeFileAtomic(path, `${JSON.stringify(saved)}\n`);
      this.writeFailed = false;
    } catch (error) {
      // The trainer is fed all the same; only a restart would go back to the last position saved.
      if (!this.writeFailed) logger.warn({ file: path, err: describeError(error) }, 'Atropos: the progress file could not be written; a restart would go back to the last position saved');
      this.writeFailed = true;
    }
  }
}

function readSaved(path: string): Saved | undefined {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new CairnError('config', `The Atropos progress file ${path} cannot be read (${(error as Error).message}). Fix its permissions, or pass --from-start to start again at the first task.`);
  }
  let saved: Partial<Saved> | undefined;
  try {
    saved = JSON.parse(text) as Partial<Saved>;
  } catch {
    saved = undefined;
  }
  const valid = saved?.format === FORMAT && Number.isSafeInteger(saved.tasks) && Number.isSafeInteger(saved.next) && (saved.next ?? -1) >= 0 && typeof saved.tasksDigest === 'string' && Array.isArray(saved.doneAbove) && saved.doneAbove.every((n) => Number.isSafeInteger(n));
  if (!valid) throw new CairnError('config', `${path} is not a progress file of cairn atropos serve. Pass --progress-file with another path, or --from-start to start again at the first task (it is then overwritten).`);
  return saved as Saved;
}

function digest(tasks: readonly Task[]): string {
  const hash = createHash('sha256');
  for (const task of tasks) hash.update(`${task.id}\n`);
  return hash.digest('hex').slice(0, 32);
}
