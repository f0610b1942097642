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

  /** Bytes received but not shown: those cut from the middle, and the pieces of the characters the cut went through. */
  get omitted(): number {
    this.trimTail(Math.floor(this.maxBytes / 2));
    const cut = this.cutBytes();
    if (cut === 0) return 0;
    return cut + incompleteCharacterAtEnd(Buffer.concat(this.head)) + strayContinuationBytes(Buffer.concat(this.tail));
  }

  get totalBytes(): number {
    return this.total;
  }

  /**
   * The whole output when it fit, decoded as one (a character across the head and the tail stays whole);
   * otherwise head, a marker naming what was cut, and tail, each trimmed to whole characters.
   */
  text(): string {
    this.trimTail(Math.floor(this.maxBytes / 2));
    if (this.cutBytes() === 0) return this.bytes().toString('utf8');
    const head = Buffer.concat(this.head);
    const tail = Buffer.concat(this.tail);
    const wholeHead = head.subarray(0, head.length - incompleteCharacterAtEnd(head));
    const wholeTail = tail.subarray(strayContinuationBytes(tail));
    return `${wholeHead.toString('utf8')}\n… [${this.omitted} bytes omitted] …\n${wholeTail.toString('utf8')}`;
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

  /** Bytes dropped between the head and the tail kept. */
  private cutBytes(): number {
    return Math.max(0, this.total - this.headBytes - Math.min(this.tailBytes, Math.floor(this.maxBytes / 2)));
  }
}

/** UTF-8 needs at most this many bytes for one character. */
const MAX_CHARACTER_BYTES = 4;

/** How many bytes at the end of `bytes` begin a character whose remaining bytes are missing. */
function incompleteCharacterAtEnd(bytes: Buffer): number {
  for (let back = 1; back <= Math.min(MAX_CHARACTER_BYTES - 1, bytes.length); back++) {
    const byte = bytes[bytes.length - back] ?? 0;
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: its lead is further back
    return back < sequenceLength(byte) ? back : 0;
  }
  return 0;
}

/** How many bytes at the start of `bytes` continue a character whose first bytes were cut. */
function strayContinuationBytes(bytes: Buffer): number {
  let count = 0;
  while (count < MAX_CHARACTER_BYTES - 1 && count < bytes.length && ((bytes[count] ?? 0) & 0xc0) === 0x80) count++;
  return count;
}

/** The length of the character a lead byte starts (1 for ASCII and for bytes that start none). */
function sequenceLength(lead: number): number {
  if (lead >= 0xf0 && lead <= 0xf4) return 4;
  if (lead >= 0xe0) return lead <= 0xef ? 3 : 1;
  if (lead >= 0xc2) return 2;
  return 1;
}
