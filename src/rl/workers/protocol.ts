/** Messages between a batch run or an Atropos environment (the parent process) and its worker processes. */
import type { CairnErrorCode } from '../../core/errors.js';
import type { ExecutorSpec } from '../task-executor.js';
import type { Task } from '../tasks.js';
import type { Trajectory } from '../trajectory.js';

/** What a worker builds its Cairn from. */
export interface WorkerInit {
  spec: ExecutorSpec;
}

export type ToWorker =
  /** First message: build Cairn, then answer ready or failed. */
  | { type: 'init'; init: WorkerInit }
  | { type: 'run'; id: number; task: Task }
  /** The run was interrupted: abort every task in flight. */
  | { type: 'abort' }
  /** Nothing more will come: close the database and stop. */
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  /** Building Cairn or loading a reward module failed; the process exits. `code`: the CairnError's, so the parent fails the same way a one-process run would. */
  | { type: 'failed'; message: string; code: CairnErrorCode }
  /**
   * `sameTools`: the trajectory's tools are those of the last trajectory this worker sent, and are left
   * out (sent as []): every task of a run offers the same tool set, some 10 kB that cost more to clone
   * across than the rest of the trajectory.
   */
  | { type: 'done'; id: number; trajectory: Trajectory; sameTools?: true }
  /** The task stopped because the run aborted; it is not written (--resume runs it again). */
  | { type: 'aborted'; id: number }
  /** The executor threw for another reason (a bug: tasks record their own failures). */
  | { type: 'error'; id: number; message: string }
  /** The last message, sent before exiting: IPC is ordered, so every result before it has reached the parent. */
  | { type: 'closed' };
