/**
 * Runs tasks one at a time per key and in parallel across keys: one turn at a time
 * per session, sessions concurrently. Keys are forgotten once their queue drains.
 * It counts what waits, per key and in all (the gateway bounds a conversation's line
 * and shows the total on /metrics).
 */
interface Line {
  tail: Promise<void>;
  /** Tasks queued and not yet started. */
  waiting: number;
  /** Tasks started and not yet settled (0 or 1). */
  running: number;
}

export class KeyedQueue {
  private readonly lines = new Map<string, Line>();
  private waitingInAll = 0;

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const line = this.lines.get(key) ?? { tail: Promise.resolve(), waiting: 0, running: 0 };
    line.waiting++;
    this.waitingInAll++;
    const result = line.tail.then(() => {
      line.waiting--;
      this.waitingInAll--;
      line.running++;
      return new Promise<T>((resolve) => resolve(task())).finally(() => line.running--);
    });
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    line.tail = tail;
    this.lines.set(key, line);
    void tail.then(() => {
      if (line.tail === tail) this.lines.delete(key);
    });
    return result;
  }

  /** Whether a task of this key is running or waiting. */
  busy(key: string): boolean {
    return this.lines.has(key);
  }

  /** Tasks of this key running or waiting: how many a task queued now would wait behind. */
  ahead(key: string): number {
    const line = this.lines.get(key);
    return line === undefined ? 0 : line.waiting + line.running;
  }

  /** Tasks of this key queued and not yet started. */
  waiting(key: string): number {
    return this.lines.get(key)?.waiting ?? 0;
  }

  /** Tasks queued and not yet started, all keys together. */
  get waitingTotal(): number {
    return this.waitingInAll;
  }

  /** Resolves when everything queued so far has finished. */
  async idle(): Promise<void> {
    while (this.lines.size > 0) await Promise.all([...this.lines.values()].map((line) => line.tail));
  }

  get activeKeys(): number {
    return this.lines.size;
  }
}
