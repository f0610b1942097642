/**
 * Collects a stream's bytes keeping only the head and the tail, so a command that
 * prints gigabytes costs bounded memory and the model still sees how it began and
 * how it ended.
 */
export class OutputCollector {
  private readonly head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  private total = 0;

  constructor(private readonly maxBytes: number) {}

  push(chunk: Buffer | Uint8Array | string): void {
    let data = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.total += data.length;
    const headRoom = Math.ceil(this.maxBytes / 2) - this.headBytes;
    if (headRoom > 0) {
      const taken = data.subarray(0, headRoom);
      this.head.push(Buffer.from(taken));
      this.headBytes += taken.length;
      data = data.subarray(taken.length);
    }
    if (data.length === 0) return;
    this.tail.push(Buffer.from(data));
    this.tailBytes += data.length;
    const tailMax = Math.floor(this.maxBytes / 2);
    if (this.tailBytes > tailMax * 2) this.trimTail(tailMax);
  }

  /** Bytes received but not kept. */
  get omitted(): number {
    return Math.max(0, this.total - this.headBytes - Math.min(this.tailBytes, Math.floor(this.maxBytes / 2)));
  }

  get totalBytes(): number {
    return this.total;
  }

  /** The whole output when it fit; otherwise head, a marker naming what was cut, and tail. */
  text(): string {
    this.trimTail(Math.floor(this.maxBytes / 2));
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    const omitted = this.omitted;
    return omitted > 0 ? `${head}\n… [${omitted} bytes omitted] …\n${tail}` : head + tail;
  }

  /** The raw bytes; only meaningful when nothing was omitted. */
  bytes(): Buffer {
    return Buffer.concat([...this.head, ...this.tail]);
  }

  private trimTail(max: number): void {
    if (this.tailBytes <= max) return;
    const joined = Buffer.concat(this.tail);
    this.tail = [joined.subarray(joined.length - max)];
    this.tailBytes = max;
  }
}
