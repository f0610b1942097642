/**
 * The checkpoint of a batch run is its output: `trajectories.jsonl`, append-only.
 * A task counts as done once its line is on disk: lines are written whole and
 * fsync'd before the task is reported finished, batched so that many tasks
 * finishing together share one write and one fsync (group commit). On open, a torn
 * last line (a crash mid-write) is cut off, and the ids already written become the
 * done set `--resume` skips, so nothing is lost and nothing is written twice. A whole
 * last line that lacks only its newline (the file was edited) is kept, and ended.
 * `--retry-failed` appends a failed task's new attempt after the old line: a task's
 * last line is the one that counts, here and for every reader of the file.
 */
import { randomUUID } from 'node:crypto';
import { appendFile, open, stat, truncate, type FileHandle } from 'node:fs/promises';
import { CairnError } from '../core/errors.js';
import { readLatestTrajectories } from './jsonl.js';
import type { Trajectory } from './trajectory.js';

export interface OpenLogOptions {
  /** Continue a file that already holds trajectories; without it such a file is an error. */
  resume: boolean;
  /** Sees each task's last trajectory already in the file (the run's summary counts them). */
  onExisting?: (trajectory: Trajectory) => void;
}

export interface RecoveredLog {
  log: TrajectoryLog;
  /** Task ids already written (finished, successfully or not). */
  done: Set<string>;
  /** Bytes of a torn last line that were cut off (0 when the file was clean). */
  droppedBytes: number;
}

interface Pending {
  line: string;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class TrajectoryLog {
  private pending: Pending[] = [];
  private flushing: Promise<void> | undefined;
  private failed: unknown;
  /** The JSON of tool sets already written, by array (see json). */
  private readonly toolsJson = new WeakMap<object, string>();

  private constructor(private readonly handle: FileHandle, readonly path: string) {}

  static async open(path: string, options: OpenLogOptions): Promise<RecoveredLog> {
    const done = new Set<string>();
    let droppedBytes = 0;
    const size = await fileSize(path);
    if (size > 0) {
      if (!options.resume) {
        throw new CairnError('invalid_input', `${path} already holds trajectories. Add --resume to continue that run, or choose a new --out directory.`);
      }
      let tornBytes = 0;
      for await (const trajectory of readLatestTrajectories(path, { onTornTail: (bytes) => (tornBytes = bytes) })) {
        done.add(trajectory.taskId);
        options.onExisting?.(trajectory);
      }
      if (tornBytes > 0) {
        // Cut the torn line so the next append starts on a line of its own.
        await truncate(path, size - tornBytes);
        droppedBytes = tornBytes;
      } else if (!(await endsWithNewline(path, size))) {
        // Its whole last line lacks only the newline: end it, or the next line would join it.
        await appendFile(path, '\n');
      }
    }
    const handle = await open(path, 'a');
    return { log: new TrajectoryLog(handle, path), done, droppedBytes };
  }

  /** Resolves once the value's line is durably on disk. */
  append(value: unknown): Promise<void> {
    if (this.failed !== undefined) return Promise.reject(this.failed);
    const line = `${this.json(value)}\n`;
    return new Promise((resolve, reject) => {
      this.pending.push({ line, resolve, reject });
      this.kick();
    });
  }

  async close(): Promise<void> {
    while (this.flushing) await this.flushing;
    await this.handle.close();
  }

  /**
   * JSON.stringify(value), with the JSON of its `tools` array written once per array: every
   * trajectory of a run carries the same tool set (one array, never changed once built: see
   * agent-task.ts and workers/protocol.ts), some 10 kB that were most of the cost of a line.
   * The array's place holds a string with a random part no task can guess, then its JSON.
   */
  private json(value: unknown): string {
    const record = typeof value === 'object' && value !== null && Object.hasOwn(value, 'tools') && !('toJSON' in value) ? (value as { tools: unknown }) : undefined;
    const tools = record?.tools;
    if (!Array.isArray(tools) || tools.length === 0) return JSON.stringify(value);
    let toolsJson = this.toolsJson.get(tools);
    if (toolsJson === undefined) {
      toolsJson = JSON.stringify(tools);
      this.toolsJson.set(tools, toolsJson);
    }
    const line = JSON.stringify({ ...record, tools: TOOLS_SLOT });
    const at = line.indexOf(TOOLS_SLOT_JSON);
    if (at === -1) return JSON.stringify(value);
    return `${line.slice(0, at)}${toolsJson}${line.slice(at + TOOLS_SLOT_JSON.length)}`;
  }

  private kick(): void {
    if (this.flushing) return;
    this.flushing = this.flush().finally(() => {
      this.flushing = undefined;
      // Lines appended after the loop's last check but before this callback.
      if (this.pending.length > 0) this.kick();
    });
  }

  private async flush(): Promise<void> {
    while (this.pending.length > 0) {
      const batch = this.pending;
      this.pending = [];
      if (this.failed !== undefined) {
        for (const item of batch) item.reject(this.failed);
        continue;
      }
      try {
        await this.handle.appendFile(batch.map((item) => item.line).join(''));
        await this.handle.datasync();
        for (const item of batch) item.resolve();
      } catch (error) {
        // A failed write may have left part of a line: stop writing, so the torn tail
        // stays last and the next --resume cuts it off.
        this.failed = new CairnError('storage', `Writing ${this.path} failed: ${(error as Error).message}`, { cause: error });
        for (const item of batch) item.reject(this.failed);
      }
    }
  }
}

/** Stands in for a trajectory's tools while the rest is written; its JSON, a whole string, is found in the line and replaced. */
const TOOLS_SLOT = `\u0000cairn-tools-${randomUUID()}`;
const TOOLS_SLOT_JSON = JSON.stringify(TOOLS_SLOT);

async function endsWithNewline(path: string, size: number): Promise<boolean> {
  const handle = await open(path, 'r');
  try {
    const { buffer } = await handle.read(Buffer.alloc(1), 0, 1, size - 1);
    return buffer[0] === 0x0a;
  } finally {
    await handle.close();
  }
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return 0;
    throw error;
  }
}
