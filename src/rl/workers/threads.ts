/**
 * `--workers N`: the run's tasks spread over N worker threads, each with a Cairn of
 * its own (worker.ts). A task goes to the thread with the fewest in flight; its
 * trajectory comes back here, where the one trajectories file, progress and summary
 * live. Threads share nothing but the filesystem: each has its own database file
 * unless the run uses the configured one (--shared-db), where SQLite's lock
 * serializes their writes.
 */
import { Worker } from 'node:worker_threads';
import { CairnError } from '../../core/errors.js';
import type { ExecutorSpec, TaskExecutor } from '../task-executor.js';
import type { Task } from '../tasks.js';
import type { Trajectory } from '../trajectory.js';
import type { FromWorker, ToWorker, WorkerInit } from './protocol.js';

const ENTRY = new URL('./entry.mjs', import.meta.url);

interface Pending {
  resolve: (trajectory: Trajectory) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
}

class WorkerThread {
  readonly pending = new Map<number, Pending>();
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private closed: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(index: number, spec: ExecutorSpec) {
    // execArgv: [] so a parent started with `--import tsx` does not load tsx twice (entry.mjs registers it).
    this.worker = new Worker(ENTRY, { workerData: { spec } satisfies WorkerInit, execArgv: [], name: `cairn-batch-${index}` });
    this.ready = new Promise((resolve, reject) => {
      this.worker.on('message', (message: FromWorker) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'failed') reject(new CairnError('invalid_input', message.message));
        else this.receive(message);
      });
      this.worker.on('error', (error) => {
        this.fail(new CairnError('internal', `A batch worker thread failed: ${error.message}`, { cause: error }));
        reject(this.failure);
      });
      this.worker.on('exit', (code) => {
        if (!this.closed) this.fail(new CairnError('internal', `A batch worker thread stopped (exit code ${code}).`));
        this.closed?.();
        reject(this.failure);
      });
    });
  }

  started(): Promise<void> {
    return this.ready;
  }

  run(id: number, task: Task, signal: AbortSignal): Promise<Trajectory> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, signal });
      this.post({ type: 'run', id, task });
    });
  }

  post(message: ToWorker): void {
    this.worker.postMessage(message);
  }

  /** Asks the thread to close its Cairn, then ends it (keep-alive sockets would hold it open). */
  async close(): Promise<void> {
    if (this.failure) {
      await this.worker.terminate();
      return;
    }
    await new Promise<void>((resolve) => {
      this.closed = resolve;
      this.post({ type: 'close' });
    });
    await this.worker.terminate();
  }

  private receive(message: FromWorker): void {
    if (message.type === 'closed') {
      this.closed?.();
      return;
    }
    if (!('id' in message)) return;
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.type === 'done') pending.resolve(message.trajectory);
    else if (message.type === 'aborted') pending.reject(pending.signal.reason ?? new CairnError('aborted', 'The batch run was interrupted.'));
    else pending.reject(new CairnError('internal', `A batch task failed in its worker thread: ${message.message}`));
  }

  private fail(error: Error): void {
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
  }
}

export class ThreadExecutor implements TaskExecutor {
  private nextId = 0;
  private abortSent = false;
  private readonly watched = new WeakSet<AbortSignal>();

  private constructor(private readonly threads: WorkerThread[]) {}

  /** Starts `count` threads (`specFor(i)` builds each one's Cairn) and waits until all are ready. */
  static async start(count: number, specFor: (index: number) => ExecutorSpec): Promise<ThreadExecutor> {
    const threads = Array.from({ length: count }, (_, index) => new WorkerThread(index, specFor(index)));
    const started = await Promise.allSettled(threads.map((thread) => thread.started()));
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) {
      await Promise.allSettled(threads.map((thread) => thread.close()));
      throw failed.reason;
    }
    return new ThreadExecutor(threads);
  }

  run(task: Task, signal: AbortSignal): Promise<Trajectory> {
    signal.throwIfAborted();
    if (!this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener('abort', () => this.abortAll(), { once: true });
    }
    const thread = this.threads.reduce((least, candidate) => (candidate.pending.size < least.pending.size ? candidate : least));
    return thread.run(this.nextId++, task, signal);
  }

  async close(): Promise<void> {
    await Promise.all(this.threads.map((thread) => thread.close()));
  }

  private abortAll(): void {
    if (this.abortSent) return;
    this.abortSent = true;
    for (const thread of this.threads) thread.post({ type: 'abort' });
  }
}
