/** Messages between a batch run (the main thread) and its worker threads. */
import type { ExecutorSpec } from '../task-executor.js';
import type { Task } from '../tasks.js';
import type { Trajectory } from '../trajectory.js';

/** workerData of each worker thread. */
export interface WorkerInit {
  spec: ExecutorSpec;
}

export type ToWorker =
  | { type: 'run'; id: number; task: Task }
  /** The run was interrupted: abort every task in flight. */
  | { type: 'abort' }
  /** Nothing more will come: close the database and stop. */
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  /** Building Cairn or loading a reward module failed; the thread stops. */
  | { type: 'failed'; message: string }
  | { type: 'done'; id: number; trajectory: Trajectory }
  /** The task stopped because the run aborted; it is not written (--resume runs it again). */
  | { type: 'aborted'; id: number }
  /** The executor threw for another reason (a bug: tasks record their own failures). */
  | { type: 'error'; id: number; message: string }
  | { type: 'closed' };
