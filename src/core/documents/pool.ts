/**
 * Reads PDFs, Office files and web pages in child processes (child.ts), so that parsing a large
 * one, seconds of CPU and hundreds of MB, neither holds up every other conversation on
 * Cairn's event loop nor takes Cairn down when a file is built to exhaust memory or
 * crashes a native library.
 *
 * Processes rather than worker threads: a worker thread over its heap limit can take the
 * whole process down with it (V8's out-of-memory is fatal once termination itself needs
 * memory), while a process over its own limit ends alone.
 *
 * A process runs one job at a time; at most `maxProcesses` run at once and further jobs
 * wait their turn. One left idle waits `idleMs` for the next document, then ends. Work
 * that is stopped (/stop, shutdown) or runs past its time limit ends its process, the
 * only way to stop CPU-bound work, so the limits hold whatever the file.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { totalmem } from 'node:os';
import { join } from 'node:path';
import { CairnError, type CairnErrorCode } from '../errors.js';
import { workerEntry } from '../worker-entry.js';
import type { Job, JobAnswer, JobResult, JobResults } from './jobs.js';
import type { OfficeFormat, OfficeText } from './office-text.js';
import type { PdfText } from './pdf-text.js';
import type { PageText } from '../../web/page-text.js';

/** What the file reader needs read; DocumentPool does it in child processes. */
export interface Documents {
  pdfText(bytes: Uint8Array, signal: AbortSignal): Promise<PdfText>;
  /** The first `pages` pages drawn, or those listed. */
  pdfPageImages(bytes: Uint8Array, pages: number | readonly number[], signal: AbortSignal): Promise<Uint8Array[]>;
  officeText(bytes: Uint8Array, format: OfficeFormat, signal: AbortSignal): Promise<OfficeText>;
  /** A web page's main text as Markdown (src/web/page-text.ts), within `timeLimitMs`. */
  htmlText(bytes: Uint8Array, contentType: string, url: string, signal: AbortSignal, timeLimitMs?: number): Promise<PageText>;
}

export interface DocumentPoolOptions {
  /** Processes at once (default 2; the shared pool's depend on the machine: readerLimitsFor). */
  maxProcesses?: number;
  /** The longest one file may take to read (default 2 minutes). */
  timeLimitMs?: number;
  /** A process's heap limit, MB (default 1024). */
  memoryLimitMb?: number;
  /** How long an idle process waits for the next document (default 30 s). */
  idleMs?: number;
}

const ENTRY = workerEntry(import.meta.url, './entry.mjs', join('src', 'core', 'documents', 'child.js'));

export class DocumentPool implements Documents {
  private readonly limits: Required<DocumentPoolOptions>;
  private readonly idle = new Set<Reader>();
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(options: DocumentPoolOptions = {}) {
    this.limits = { maxProcesses: 2, timeLimitMs: 120_000, memoryLimitMb: 1_024, idleMs: 30_000, ...options };
  }

  pdfText(bytes: Uint8Array, signal: AbortSignal): Promise<PdfText> {
    return this.run({ kind: 'pdf-text', bytes }, signal);
  }

  pdfPageImages(bytes: Uint8Array, pages: number | readonly number[], signal: AbortSignal): Promise<Uint8Array[]> {
    return this.run({ kind: 'pdf-images', bytes, pages }, signal);
  }

  officeText(bytes: Uint8Array, format: OfficeFormat, signal: AbortSignal): Promise<OfficeText> {
    return this.run({ kind: 'office-text', bytes, format }, signal);
  }

  htmlText(bytes: Uint8Array, contentType: string, url: string, signal: AbortSignal, timeLimitMs?: number): Promise<PageText> {
    return this.run({ kind: 'html-text', bytes, contentType, url }, signal, timeLimitMs);
  }

  /** Ends the idle processes (those at work end with their job). */
  close(): void {
    for (const reader of this.idle) reader.end();
    this.idle.clear();
  }

  private async run<K extends Job['kind']>(job: Extract<Job, { kind: K }>, signal: AbortSignal, timeLimitMs = this.limits.timeLimitMs): Promise<JobResults[K]> {
    await this.turn(signal);
    let reader: Reader | undefined;
    try {
      reader = this.takeIdle() ?? new Reader(this.limits.memoryLimitMb);
      return (await reader.run(job, signal, timeLimitMs)) as JobResults[K];
    } finally {
      if (reader?.alive) this.park(reader);
      this.running--;
      this.waiting.shift()?.();
    }
  }

  /** Resolves when a process may start (at once when fewer than maxProcesses run); rejects when stopped while waiting. */
  private turn(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    if (this.running < this.limits.maxProcesses) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const start = () => {
        signal.removeEventListener('abort', stop);
        this.running++;
        resolve();
      };
      const stop = () => {
        this.waiting.splice(this.waiting.indexOf(start), 1);
        reject(signal.reason);
      };
      signal.addEventListener('abort', stop, { once: true });
      this.waiting.push(start);
    });
  }

  /** An idle process still running; those that died while idle (the kernel's OOM killer, a crash) are dropped. */
  private takeIdle(): Reader | undefined {
    for (const reader of this.idle) {
      this.idle.delete(reader);
      if (reader.alive) return reader;
      reader.end();
    }
    return undefined;
  }

  private park(reader: Reader): void {
    this.idle.add(reader);
    reader.endAfter(this.limits.idleMs, () => this.idle.delete(reader));
  }
}

/** The last of a process's stderr kept, to tell running out of memory from other crashes. */
const STDERR_TAIL = 4_096;

/** One document process. */
class Reader {
  private readonly child: ChildProcess;
  private idleTimer: NodeJS.Timeout | undefined;
  private stderr = '';
  /** V8 said it ran out of heap. */
  private outOfMemory = false;
  alive = true;

  constructor(private readonly memoryLimitMb: number) {
    // Structured clone over IPC ('advanced'), so bytes and page images travel as binary.
    this.child = fork(ENTRY, [], { execArgv: [`--max-old-space-size=${memoryLimitMb}`], serialization: 'advanced', stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr = (this.stderr + chunk).slice(-STDERR_TAIL);
      // Seen as it comes: V8's native stack trace after it can push it out of the kept tail.
      // "JavaScript heap out of memory", "Fatal process out of memory: …", "Reached heap limit": all the file's size.
      if (/out of memory|reached heap limit/i.test(this.stderr)) this.outOfMemory = true;
    });
    this.child.once('exit', () => (this.alive = false));
    // A failure to start shows as the exit that follows it.
    this.child.on('error', () => {});
    this.idleNow();
  }

  run(job: Job, signal: AbortSignal, timeLimitMs: number): Promise<JobResult> {
    clearTimeout(this.idleTimer);
    this.busyNow();
    return new Promise<JobResult>((resolve, reject) => {
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', stop);
        this.child.off('message', answered).off('close', exited);
        this.idleNow();
        outcome();
      };
      const answered = (answer: JobAnswer) => settle(() => (answer.ok ? resolve(answer.result) : reject(rebuilt(answer.error))));
      const exited = (code: number | null, signalName: NodeJS.Signals | null) => settle(() => reject(this.crash(code, signalName)));
      const stop = () =>
        settle(() => {
          this.end();
          reject(signal.reason);
        });
      const timer = setTimeout(
        () =>
          settle(() => {
            this.end();
            reject(new CairnError('invalid_input', `reading it takes longer than the ${duration(timeLimitMs)} I allow for one file; send a smaller part`));
          }),
        timeLimitMs,
      );
      if (signal.aborted) return stop();
      signal.addEventListener('abort', stop, { once: true });
      // 'close', not 'exit': only then has all of stderr arrived, which tells running out of memory from other crashes.
      this.child.on('message', answered).once('close', exited);
      try {
        // A channel closed before we heard of it: send would only emit an 'error' nobody waits on.
        if (!this.child.connected) throw new Error('its process is gone');
        this.child.send(job);
      } catch (error) {
        // The process is already gone (its IPC channel closed): this job fails like one it crashed on.
        settle(() => {
          this.end();
          reject(new Error(`the document reader could not take the file: ${error instanceof Error ? error.message : String(error)}`, { cause: error }));
        });
      }
    });
  }

  /** Ends the process after `ms` unless it is given a job first. */
  endAfter(ms: number, onEnd: () => void): void {
    this.idleTimer = setTimeout(() => {
      onEnd();
      this.end();
    }, ms);
    this.idleTimer.unref();
  }

  end(): void {
    clearTimeout(this.idleTimer);
    this.alive = false;
    this.child.kill('SIGKILL');
  }

  private crash(code: number | null, signalName: NodeJS.Signals | null): Error {
    if (this.outOfMemory) {
      return new CairnError('invalid_input', `reading it takes more than the ${this.memoryLimitMb.toLocaleString('en-US')} MB of memory I allow for one file; send a smaller part`);
    }
    const last = this.stderr.trim().split('\n').at(-1);
    return new Error(`the document reader stopped (${signalName ?? `exit code ${code}`})${last ? `: ${last}` : ''}`);
  }

  /** While idle the process does not keep Cairn running; while it works, it waits for it. */
  private idleNow(): void {
    this.child.unref();
    this.child.channel?.unref();
  }

  private busyNow(): void {
    this.child.ref();
    this.child.channel?.ref();
  }
}

/** An error from the process as it was: a CairnError keeps its code (invalid_input becomes the user's answer). */
function rebuilt(error: { message: string; code?: string }): Error {
  return error.code ? new CairnError(error.code as CairnErrorCode, error.message) : new Error(error.message);
}

function duration(ms: number): string {
  return ms >= 1_000 ? `${Math.round(ms / 1_000)} s` : `${ms} ms`;
}

/** The pool the file reader uses unless given another. */
/**
 * The reader's limits on a machine of `totalBytes` of memory (a container's limit, `constrainedBytes`, where it is
 * lower). Two processes of up to 1 GB each were allowed whatever the machine: on a 1 GB VPS or a 2 GB Raspberry Pi
 * one large PDF could take all the memory there was, and the kernel's OOM killer chose what to end (swap on an SD
 * card first made everything crawl). Below 3 GB one process reads at a time, with at most a quarter of the memory;
 * a file that needs more is refused with that limit named (Reader.crash), and nothing else is touched.
 */
export function readerLimitsFor(totalBytes: number, constrainedBytes?: number): { maxProcesses: number; memoryLimitMb: number } {
  const bytes = constrainedBytes !== undefined && constrainedBytes > 0 ? Math.min(totalBytes, constrainedBytes) : totalBytes;
  const mb = bytes / 1024 ** 2;
  return { maxProcesses: mb < 3 * 1024 ? 1 : 2, memoryLimitMb: Math.max(128, Math.min(1_024, Math.floor(mb / 4))) };
}

export const documentPool = new DocumentPool(readerLimitsFor(totalmem(), process.constrainedMemory?.()));
