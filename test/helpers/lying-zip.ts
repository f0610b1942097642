/**
 * Zip bombs that lie about their size: an Office file whose zip directory says a part unpacks
 * to 1,000 bytes while it unpacks to hundreds of megabytes. The part's deflate stream is one
 * compressed megabyte written again and again (each copy fully flushed, so it stands alone),
 * which builds a 400 MB part in milliseconds where compressing it would take seconds.
 */
import { constants, deflateRawSync } from 'node:zlib';
import { unzipSync, zipSync, type Zippable } from 'fflate';

const MEGABYTE = 1024 * 1024;
const LOCAL_HEADER = 0x04034b50;
const DIRECTORY_ENTRY = 0x02014b50;

export interface LyingPart {
  /** The part replaced, e.g. `word/document.xml`. */
  name: string;
  /** What it unpacks to: `prefix`, then `megabytes` MB of `fill`, then `suffix`. */
  prefix: string;
  megabytes: number;
  suffix: string;
  fill?: number;
  /** The size its local header and directory entry claim. */
  claimedSize?: number;
}

/** `archive` with one part replaced by a large, deflated one whose declared size is `claimedSize` (1,000 bytes). */
export function lyingArchive(archive: Uint8Array, part: LyingPart): Buffer {
  const flushed = (bytes: Uint8Array) => deflateRawSync(bytes, { finishFlush: constants.Z_FULL_FLUSH });
  const megabyte = flushed(new Uint8Array(MEGABYTE).fill(part.fill ?? 0x61));
  const stream = Buffer.concat([flushed(Buffer.from(part.prefix)), ...Array.from({ length: part.megabytes }, () => megabyte), deflateRawSync(Buffer.from(part.suffix))]);
  // Stored first, as a placeholder of the stream's length; the stream then goes in its place, declared deflated.
  const parts: Zippable = { ...unzipSync(archive), [part.name]: [new Uint8Array(stream.length), { level: 0 }] };
  const zip = Buffer.from(zipSync(parts));
  const name = Buffer.from(part.name);
  for (const [signature, nameAt, methodAt, sizeAt] of [[LOCAL_HEADER, 30, 8, 22], [DIRECTORY_ENTRY, 46, 10, 24]] as const) {
    const at = headerOf(zip, signature, nameAt, name);
    zip.writeUInt16LE(8, at + methodAt);
    zip.writeUInt32LE(part.claimedSize ?? 1_000, at + sizeAt);
    if (signature === LOCAL_HEADER) stream.copy(zip, at + nameAt + name.length + zip.readUInt16LE(at + 28));
  }
  return zip;
}

/** Where the header with this signature for the part named `name` starts. */
function headerOf(zip: Buffer, signature: number, nameAt: number, name: Buffer): number {
  const marker = Buffer.alloc(4);
  marker.writeUInt32LE(signature);
  for (let at = zip.indexOf(marker); at >= 0; at = zip.indexOf(marker, at + 4)) {
    if (zip.subarray(at + nameAt, at + nameAt + name.length).equals(name)) return at;
  }
  throw new Error(`no header for ${name.toString()}`);
}
