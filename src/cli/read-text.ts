/**
 * Reading a text file a person gives a command (`cairn memory import`, `--batch`). Node's
 * `readFileSync(file, 'utf8')` turns every byte that is not UTF-8 into U+FFFD without a word: a
 * Latin-1 or Windows-1252 file would be imported with "caf�" in it for good. So UTF-8 is checked,
 * and a file that is not is refused by the line it goes wrong on. A UTF-16 file with its byte order
 * mark (what Windows PowerShell's `>` and `Out-File` write) is read as the text it is.
 */
import { readFileSync } from 'node:fs';
import { isUtf8 } from 'node:buffer';
import { CairnError } from '../core/errors.js';

const NEWLINE = 0x0a;

/** The file's text (without a byte order mark); a CairnError naming the file when it cannot be read as text. */
export function readTextFile(file: string): string {
  let bytes: Buffer;
  try {
    bytes = readFileSync(file);
  } catch (error) {
    throw new CairnError('invalid_input', `Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`, { cause: error });
  }
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined;
  if (!utf16 && !isUtf8(bytes)) {
    throw new CairnError('invalid_input', `Line ${firstLineNotUtf8(bytes)} of ${file} is not UTF-8 text (saved as Latin-1 or Windows-1252?): save the file as UTF-8 and run the command again.`);
  }
  try {
    return utf16 ? new TextDecoder(utf16).decode(bytes.subarray(2)) : bytes.toString('utf8').replace(/^\uFEFF/, '');
  } catch (error) {
    // V8's longest string is about 512 MiB of text.
    if ((error as NodeJS.ErrnoException).code !== 'ERR_STRING_TOO_LONG' && !(error instanceof RangeError)) throw error;
    throw new CairnError('invalid_input', `${file} is too large to read at once (${Math.round(bytes.length / 2 ** 20)} MiB): split it into files under 500 MiB and give each to the command.`, { cause: error });
  }
}

/** The 1-based number of the first line that is not valid UTF-8 (the file as a whole is not). */
function firstLineNotUtf8(bytes: Buffer): number {
  let line = 1;
  for (let start = 0; start < bytes.length; line++) {
    const newline = bytes.indexOf(NEWLINE, start);
    const end = newline === -1 ? bytes.length : newline;
    if (!isUtf8(bytes.subarray(start, end))) return line;
    start = end + 1;
  }
  return line;
}
