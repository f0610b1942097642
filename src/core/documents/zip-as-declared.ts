/**
 * A zip archive rebuilt from its parts, each unpacked no further than the size its directory
 * declares, for a library that compares that size only after unpacking everything (mammoth's
 * JSZip). checkArchive (office-text.ts) adds up the declared sizes; a zip bomb that understates
 * them got past it, and JSZip then unpacked about 1,000 times the file's size into Buffers,
 * which the document process's heap limit does not cover. Here a part is refused as soon as it
 * unpacks past its declared size, so the library only ever meets parts of their true size.
 */
import { inflateRawSync } from 'node:zlib';
import { strFromU8, zipSync, type Zippable } from 'fflate';
import { CairnError } from '../errors.js';

const END_OF_DIRECTORY = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_END_OF_DIRECTORY = 0x06064b50;
const DIRECTORY_ENTRY = 0x02014b50;
const LOCAL_HEADER = 0x04034b50;
const ZIP64_EXTRA_FIELD = 0x0001;
/** A size or offset too large for its 4 bytes: the real one is in the entry's zip64 extra field. */
const IN_ZIP64_FIELD = 0xffffffff;
/** The end-of-directory record: 22 bytes, then an archive comment of up to 65,535. */
const END_RECORD_SIZE = 22;
const MAX_COMMENT = 0xffff;
const STORED = 0;
const DEFLATED = 8;
/** General-purpose flag: the entry's name is UTF-8 (else CP437, which fflate reads as Latin-1). */
const UTF8_NAME = 0x800;

interface Entry {
  name: string;
  compression: number;
  compressedSize: number;
  declaredSize: number;
  localHeader: number;
}

/** `zip` rebuilt (stored, not compressed) from its parts; a CairnError for a part that unpacks to more than declared. */
export function rebuiltAsDeclared(zip: Uint8Array): Uint8Array {
  const reader = new ZipReader(zip);
  const parts: Zippable = {};
  for (const entry of reader.entries()) parts[entry.name] = reader.unpack(entry);
  // Stored, not compressed again: the copy only lives until it is read.
  return zipSync(parts, { level: 0 });
}

class ZipReader {
  private readonly view: DataView;

  constructor(private readonly zip: Uint8Array) {
    this.view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  }

  /** The central directory's entries, as fflate's unzipSync (and checkArchive) reads them. */
  entries(): Entry[] {
    const end = this.endOfDirectory();
    let count = this.u16(end + 10);
    let at = this.u32(end + 16);
    if (end >= 20 && this.u32(end - 20) === ZIP64_LOCATOR) {
      const zip64End = this.u64(end - 12);
      if (this.u32(zip64End) !== ZIP64_END_OF_DIRECTORY) throw damaged('its zip64 directory is missing');
      count = this.u64(zip64End + 32);
      at = this.u64(zip64End + 48);
    }
    const entries: Entry[] = [];
    for (let index = 0; index < count; index++) {
      if (this.u32(at) !== DIRECTORY_ENTRY) throw damaged('its directory is cut short');
      const nameLength = this.u16(at + 28);
      const extraLength = this.u16(at + 30);
      const name = strFromU8(this.zip.subarray(at + 46, at + 46 + nameLength), (this.u16(at + 8) & UTF8_NAME) === 0);
      const sizes = this.zip64Sizes(at + 46 + nameLength, extraLength, [this.u32(at + 24), this.u32(at + 20), this.u32(at + 42)]);
      const [declaredSize, compressedSize, localHeader] = sizes;
      entries.push({ name, compression: this.u16(at + 10), compressedSize, declaredSize, localHeader });
      at += 46 + nameLength + extraLength + this.u16(at + 32);
    }
    return entries;
  }

  /** The part's bytes, inflated no further than one chunk past its declared size. */
  unpack(entry: Entry): Uint8Array {
    const header = entry.localHeader;
    if (this.u32(header) !== LOCAL_HEADER) throw damaged(`${entry.name} is not where its directory says`);
    const start = header + 30 + this.u16(header + 26) + this.u16(header + 28);
    if (start + entry.compressedSize > this.zip.length) throw damaged(`${entry.name} is cut short`);
    const packed = this.zip.subarray(start, start + entry.compressedSize);
    let part: Uint8Array;
    if (entry.compression === STORED) part = packed;
    else if (entry.compression === DEFLATED) part = inflateAtMost(packed, entry);
    else throw damaged(`${entry.name} is packed with compression method ${entry.compression}, which I do not unpack`);
    if (part.length > entry.declaredSize) throw unpacksToMore(entry);
    if (part.length < entry.declaredSize) throw damaged(`${entry.name} unpacks to ${part.length.toLocaleString('en-US')} bytes, not the ${entry.declaredSize.toLocaleString('en-US')} its directory says`);
    return part;
  }

  private endOfDirectory(): number {
    const lowest = Math.max(0, this.zip.length - END_RECORD_SIZE - MAX_COMMENT);
    for (let at = this.zip.length - END_RECORD_SIZE; at >= lowest; at--) {
      if (this.u32(at) === END_OF_DIRECTORY) return at;
    }
    throw damaged('it has no zip directory');
  }

  /** `[declared size, compressed size, local header offset]`, each read from the zip64 extra field where its 4 bytes overflowed, in that order. */
  private zip64Sizes(extra: number, length: number, values: [number, number, number]): [number, number, number] {
    if (!values.includes(IN_ZIP64_FIELD)) return values;
    for (let at = extra; at + 4 <= extra + length; at += 4 + this.u16(at + 2)) {
      if (this.u16(at) !== ZIP64_EXTRA_FIELD) continue;
      let field = at + 4;
      return values.map((value) => {
        if (value !== IN_ZIP64_FIELD) return value;
        field += 8;
        return this.u64(field - 8);
      }) as [number, number, number];
    }
    throw damaged('an entry lacks its zip64 sizes');
  }

  // DataView throws a RangeError past the end, which reaches the person as the file being unreadable.
  private u16(at: number): number {
    return this.view.getUint16(at, true);
  }

  private u32(at: number): number {
    return this.view.getUint32(at, true);
  }

  private u64(at: number): number {
    return Number(this.view.getBigUint64(at, true));
  }
}

/** node:zlib stops inflating, and throws, as soon as the output passes maxOutputLength (one 16 KB chunk at most). */
function inflateAtMost(packed: Uint8Array, entry: Entry): Uint8Array {
  try {
    // A limit of 0 is refused as invalid; one byte more than an empty part is caught below.
    return inflateRawSync(packed, { maxOutputLength: Math.max(entry.declaredSize, 1) });
  } catch (error) {
    if (error instanceof RangeError && 'code' in error && error.code === 'ERR_BUFFER_TOO_LARGE') throw unpacksToMore(entry);
    throw damaged(`${entry.name} does not unpack: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}

function unpacksToMore(entry: Entry): CairnError {
  return new CairnError('invalid_input', `it unpacks to more than its zip directory says (${entry.name}: over ${entry.declaredSize.toLocaleString('en-US')} bytes), which is how a zip bomb hides its size; I do not open it`);
}

/** Becomes "it is not a readable …" in officeText, as checkArchive words a damaged archive. */
function damaged(reason: string, cause?: unknown): Error {
  return new Error(`a damaged zip archive: ${reason}`, { cause });
}
