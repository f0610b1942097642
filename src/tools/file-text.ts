/**
 * The text of a file read_file shows, in the encoding it is in. Read as UTF-8 regardless, a
 * Latin-1 "café" became "caf\uFFFD", and the model writing back what it saw corrupted the file.
 */
import { CairnError, isCairnError } from '../core/errors.js';
import { decodeText } from '../core/text-decoding.js';

export interface FileText {
  text: string;
  /** Named in the result's header, so the model knows what write_file (UTF-8) would change. */
  encoding: string;
}

/** The text of `bytes`, or a CairnError (invalid_input) naming `path` for a binary file or one in no encoding that fits. */
export function fileText(path: string, bytes: Uint8Array): FileText {
  try {
    const { text, about } = decodeText(bytes);
    return { text, encoding: about ?? (startsWithUtf16Mark(bytes) ? 'UTF-16' : 'UTF-8') };
  } catch (error) {
    if (!isCairnError(error)) throw error;
    throw new CairnError('invalid_input', `Cannot show ${path} (${bytes.length} bytes) as text: ${error.message}. Inspect it with the terminal (file, xxd, iconv, …).`, { cause: error });
  }
}

/** UTF-16 text holds zero bytes, so the byte-order mark tells it from a binary file. */
export function startsWithUtf16Mark(bytes: Uint8Array): boolean {
  return (bytes[0] === 0xff && bytes[1] === 0xfe) || (bytes[0] === 0xfe && bytes[1] === 0xff);
}
