/**
 * `--workers N`: the tasks of a batch run or an Atropos environment spread over N
 * processes, each with a Cairn of its own: this one, and N−1 worker processes
 * (child.ts). This process runs tasks from the moment its own Cairn is built, and each
 * worker joins as soon as it is ready, so their start-up (about 0.4 s each) hides
 * behind work already under way. A task goes to the one with the fewest in flight (a
 * worker on a tie: this process also writes the trajectories file, progress and
 * summary, or the Atropos groups). They share nothing but the filesystem: each has its
 * own database file unless the run uses the configured one (--shared-db), where SQLite's
 * lock serializes their writes.
 *
 * Processes rather than worker threads: measured on the batch benchmark, two worker
 * threads ran the same tasks about 1.5× slower than two processes (the isolates of
 * one process share its GC and compiler threads), and a process that crashes takes
 * only its own tasks down.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { CairnError } from '../../core/errors.js';
import { workerEntry } from '../../core/worker-entry.js';
import { createLocalExecutor, type ExecutorSpec, type LocalExecutorDeps, type TaskExecutor } from '../task-executor.js';
import type { Task } from '../tasks.js';
import type { Trajectory } from '../trajectory.js';
import type { FromWorker, ToWorker } from './protocol.js';

/** Where a worker process starts: entry.mjs (tsx) from the sources, child.js from the build. */
const ENTRY = workerEntry(import.meta.url, './entry.mjs', join('src', 'rl', 'workers', 'child.js'));

interface Pending {
  resolve: (trajectory: Trajectory) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal;
}

class WorkerProcess {
  readonly pending = new Map<number, Pending>();
  private readonly child: ChildProcess;
  private readonly ready: Promise<void>;
  private readonly exited: Promise<void>;
  private closing = false;
  private isReady = false;
  private failure: Error | undefined;
  /** The tools of the last trajectory received: a trajectory with `sameTools` has them (see protocol.ts). */
  private lastTools: Trajectory['tools'] = [];

  /** `onFailure`: called once, on the first failure (at start or later; not once `close` was called). */
  constructor(
    spec: ExecutorSpec,
    private readonly onFailure: (error: Error) => void,
  ) {
    // Structured clone over IPC ('advanced'), so a trajectory arrives exactly as built.
    this.child = fork(ENTRY, [], { execArgv: [], serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.exited = new Promise((resolve) => this.child.once('exit', () => resolve()));
    this.ready = new Promise((resolve, reject) => {
      this.child.on('message', (message: FromWorker) => {
        if (message.type === 'ready') {
          this.isReady = true;
          resolve();
        } else if (message.type === 'failed') {
          this.fail(new CairnError(message.code, message.message));
          reject(this.failure);
        } else this.receive(message);
      });
      this.child.on('error', (error) => {
        this.fail(new CairnError('internal', `A worker process failed: ${error.message}`, { cause: error }));
        reject(this.failure);
      });
      this.child.once('exit', (code, signal) => {
        // Exiting after `close` is the normal end, not a failure.
        if (this.closing) return;
        this.fail(new CairnError('internal', `A worker process stopped (${signal ?? `exit code ${code}`}).`));
        reject(this.failure);
      });
    });
    // Whoever waits for it sees a failure; a pool that closes before this worker is ready does not wait.
    this.ready.catch(() => {});
    this.post({ type: 'init', init: { spec } });
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
    if (this.child.connected) this.child.send(message);
  }

  /**
   * Asks the worker to close its Cairn and exit. Kills it if it has failed, or has not finished
   * starting (a short run need not wait for it; SQLite rolls back whatever it was writing).
   */
  async close(): Promise<void> {
    this.closing = true;
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    // SIGKILL: a worker ignores SIGTERM, which a signal to the whole process group would send it too.
    if (this.failure || !this.isReady || !this.child.connected) this.child.kill('SIGKILL');
    else this.post({ type: 'close' });
    await this.exited;
  }

  private receive(message: FromWorker): void {
    if (!('id' in message)) return;
    // Before anything else: IPC keeps order, so the last tools received are the ones a later `sameTools` means.
    if (message.type === 'done') {
      if (message.sameTools) message.trajectory.tools = this.lastTools;
      else this.lastTools = message.trajectory.tools;
    }
    const pending = this.pending.get(message.id);
    if (!pending) return;
    this.pending.delete(message.id);
    if (message.type === 'done') pending.resolve(message.trajectory);
    else if (message.type === 'aborted') pending.reject(pending.signal.reason ?? new CairnError('aborted', 'The run was interrupted.'));
    else if (message.type === 'error') pending.reject(new CairnError('internal', `A task failed in its worker process: ${message.message}`));
  }

  private fail(error: Error): void {
    const first = this.failure === undefined;
    this.failure ??= error;
    for (const pending of this.pending.values()) pending.reject(this.failure);
    this.pending.clear();
    // Once closing, the run is over (a worker still starting is told to stop): nothing to report.
    if (first && !this.closing) this.onFailure(this.failure);
  }
}

export interface PoolOptions {
  /** Called once, when every worker process is ready (with the milliseconds since the pool started). */
  onAllStarted?: (ms: number) => void;
  /**
   * Called once, when a worker process cannot start or stops. From then on every `run` fails
   * with that error; the caller should stop (tasks in flight elsewhere are still running).
   */
  onWorkerFailed?: (error: unknown) => void;
}

export class WorkerPool implements TaskExecutor {
  private nextId = 0;
  private localInFlight = 0;
  private abortSent = false;
  private failure: { error: unknown } | undefined;
  private closing = false;
  private readonly ready: WorkerProcess[] = [];
  private readonly watched = new WeakSet<AbortSignal>();

  private constructor(
    private readonly local: TaskExecutor,
    private readonly workers: readonly WorkerProcess[],
    startedAt: number,
    private readonly options: PoolOptions,
  ) {
    for (const worker of workers) {
      // A failure reaches workerFailed through the worker's onFailure.
      worker.started().then(
        () => {
          if (this.closing) return;
          this.ready.push(worker);
          if (this.ready.length === workers.length) options.onAllStarted?.(Math.round(performance.now() - startedAt));
        },
        () => {},
      );
    }
  }

  /**
   * `count` processes in all: this one (built from `specFor(0)`, with `deps`) and count − 1
   * workers, worker i built from `specFor(i)`. Returns as soon as this process's Cairn is
   * built, so tasks start while the workers are still starting; a broken config or reward
   * module fails here, before any model call, and so does a worker that failed by then.
   */
  static async start(count: number, specFor: (index: number) => ExecutorSpec, deps: LocalExecutorDeps = {}, options: PoolOptions = {}): Promise<WorkerPool> {
    const startedAt = performance.now();
    // A failure before the pool exists is kept, and fails the start below.
    const failures: { pool?: WorkerPool; early?: { error: unknown } } = {};
    const onFailure = (error: unknown) => (failures.pool ? failures.pool.workerFailed(error) : (failures.early ??= { error }));
    // Forked first: they take longest to start, and this process builds its own Cairn meanwhile.
    const workers = Array.from({ length: count - 1 }, (_, index) => new WorkerProcess(specFor(index + 1), onFailure));
    let local: TaskExecutor | undefined;
    try {
      local = await createLocalExecutor(specFor(0), deps);
      if (failures.early) throw failures.early.error;
    } catch (error) {
      await Promise.allSettled([local?.close(), ...workers.map((worker) => worker.close())]);
      throw error;
    }
    failures.pool = new WorkerPool(local, workers, startedAt, options);
    return failures.pool;
  }

  run(task: Task, signal: AbortSignal): Promise<Trajectory> {
    signal.throwIfAborted();
    if (this.failure) return Promise.reject(this.failure.error);
    if (!this.watched.has(signal)) {
      this.watched.add(signal);
      signal.addEventListener('abort', () => this.abortAll(), { once: true });
    }
    const worker = this.ready.reduce<WorkerProcess | undefined>((least, candidate) => (!least || candidate.pending.size < least.pending.size ? candidate : least), undefined);
    if (worker && worker.pending.size <= this.localInFlight) return worker.run(this.nextId++, task, signal);
    this.localInFlight++;
    return this.local.run(task, signal).finally(() => this.localInFlight--);
  }

  async close(): Promise<void> {
    this.closing = true;
    await Promise.all([this.local.close(), ...this.workers.map((worker) => worker.close())]);
  }

  private workerFailed(error: unknown): void {
    if (this.failure) return;
    this.failure = { error };
    // After an abort the run is ending anyway: a worker stopped with it (say, by a signal to
    // the whole process group) leaves an interrupted run, not a failed one.
    if (!this.abortSent) this.options.onWorkerFailed?.(error);
  }

  private abortAll(): void {
    if (this.abortSent) return;
    this.abortSent = true;
    for (const worker of this.workers) worker.post({ type: 'abort' });
  }
}
