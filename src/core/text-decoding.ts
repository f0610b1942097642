/**
 * The text of a text file in whatever encoding it came in. UTF-8 (with or without its mark)
 * and UTF-16 that says so with its byte-order mark (Windows PowerShell 5's `> out.txt`,
 * Notepad's "Unicode") are read as such, and UTF-16 without it by the zero bytes of its
 * Latin letters. Anything else is in a legacy code page the bytes do
 * not name: Excel saves a CSV in its Windows's code page, Shift_JIS in Japan, GBK in China,
 * Big5 in Taiwan, EUC-KR in Korea, Windows-1251 where Cyrillic is written, Windows-1252 in
 * Western Europe. Most byte strings decode without an error in several of them (a Japanese file is
 * valid GBK, a Chinese one valid EUC-KR), so each is tried strictly, in turn, and taken only
 * when its text reads like its language (legacy-encodings.ts). What reads like none is
 * refused with a hint instead of reaching the model as mojibake it would answer about.
 */
import { CairnError } from './errors.js';
import { LEGACY_ENCODINGS } from './legacy-encodings.js';

export interface DecodedText {
  text: string;
  /** How it was read when not as UTF-8 or UTF-16, e.g. `read as Shift_JIS text (it is not UTF-8)`. */
  about?: string;
}

/**
 * The text of `bytes`; a CairnError (invalid_input) for a binary file or one in no encoding
 * that fits. `sentAs`: the MIME type it came with when that does not say text (video/mp2t for
 * a .ts file), named when the bytes turn out not to be text.
 */
export function decodeText(bytes: Uint8Array, sentAs?: string): DecodedText {
  const binary = () => new CairnError('invalid_input', `it is a binary file${sentAs ? ` (sent as ${sentAs})` : ''}, not text`);
  const utf16 = bytes[0] === 0xff && bytes[1] === 0xfe ? 'utf-16le' : bytes[0] === 0xfe && bytes[1] === 0xff ? 'utf-16be' : undefined;
  let decoded: DecodedText;
  // Zero bytes are text in no 8-bit encoding (ASCII ones are valid UTF-8, so they must be looked for first); in UTF-16 they are half of every Latin letter.
  if (!utf16 && bytes.includes(0)) {
    const unmarked = unmarkedUtf16(bytes);
    if (!unmarked) throw binary();
    decoded = unmarked;
  } else {
    try {
      decoded = { text: new TextDecoder(utf16 ?? 'utf-8', { fatal: true }).decode(bytes) };
    } catch {
      if (utf16) throw new CairnError('invalid_input', 'it is not UTF-16 text');
      decoded = damagedUtf8(bytes) ?? legacyText(bytes);
    }
  }
  if (decoded.text.includes('\0')) throw binary();
  return { ...decoded, text: decoded.text.replace(/^\uFEFF/, '').trimEnd() };
}

/** Code units looked at to tell UTF-16 without its mark, as legacy-encodings.ts samples a text. */
const UTF16_SAMPLE = 20_000;
/** Controls no text holds (tab, line breaks, form feed and escape aside); binary data read as UTF-16 is full of them. */
// eslint-disable-next-line no-control-regex
const NOT_UTF16_TEXT = /[\0-\x08\x0e-\x1a\x1c-\x1f\ufffe\uffff]/;

/**
 * UTF-16 that does not say so with a byte-order mark (SQL Server's `bcp -w`, Java's and .NET's
 * UTF-16LE writers): its ASCII characters, a zero byte beside a printable one, in every other
 * place, and few zero bytes in the other (a CJK text has some: U+3000, U+4E00). Undefined for
 * anything else, and for what decodes to controls no text holds (numbers stored as binary).
 */
function unmarkedUtf16(bytes: Uint8Array): DecodedText | undefined {
  if (bytes.length % 2 !== 0) return undefined;
  const end = Math.min(bytes.length, 2 * UTF16_SAMPLE);
  const isAscii = (byte: number) => (byte >= 0x20 && byte < 0x7f) || (byte >= 0x09 && byte <= 0x0d);
  const count = { evenZeros: 0, oddZeros: 0, littleAscii: 0, bigAscii: 0 };
  for (let index = 0; index < end; index += 2) {
    const [even, odd] = [bytes[index] as number, bytes[index + 1] as number];
    if (even === 0) count.evenZeros++;
    if (odd === 0) count.oddZeros++;
    if (odd === 0 && isAscii(even)) count.littleAscii++;
    if (even === 0 && isAscii(odd)) count.bigAscii++;
  }
  const units = end / 2;
  const [name, label] =
    count.littleAscii >= units / 4 && count.evenZeros < count.oddZeros / 4 ? ['UTF-16LE', 'utf-16le'] : count.bigAscii >= units / 4 && count.oddZeros < count.evenZeros / 4 ? ['UTF-16BE', 'utf-16be'] : [];
  if (!name || !label) return undefined;
  let text: string;
  try {
    // ignoreBOM: a mark there would have named the encoding; none is, so the text is taken as it is.
    text = new TextDecoder(label, { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return undefined;
  }
  return NOT_UTF16_TEXT.test(text) ? undefined : { text, about: `read as ${name} text (it has no byte-order mark)` };
}

/** A file is still read as UTF-8 when its UTF-8 characters beyond ASCII outnumber its invalid byte sequences this many times over. */
const DAMAGE_RATIO = 20;

/**
 * UTF-8 with a few sequences that are not (a log cut mid-character, a line pasted in from
 * another encoding), the few shown as U+FFFD; undefined for text in another encoding, where
 * what is not UTF-8 is most of what is not ASCII.
 */
function damagedUtf8(bytes: Uint8Array): DecodedText | undefined {
  const text = new TextDecoder('utf-8').decode(bytes);
  const invalid = text.split('\uFFFD').length - 1;
  const valid = text.replace(/[\0-\x7f\uFFFD]/g, '').length;
  if (valid < invalid * DAMAGE_RATIO) return undefined;
  return { text, about: `read as UTF-8, with ${invalid === 1 ? 'a byte sequence' : `${invalid} byte sequences`} that ${invalid === 1 ? 'is' : 'are'} not UTF-8 shown as \uFFFD` };
}

function legacyText(bytes: Uint8Array): DecodedText {
  for (const encoding of LEGACY_ENCODINGS) {
    const text = encoding.decode(bytes);
    if (text !== undefined && encoding.fits(text, bytes)) return { text, about: `read as ${encoding.name} text (it is not UTF-8)` };
  }
  throw new CairnError('invalid_input', 'it is not UTF-8, and not in an encoding I could tell; save it as UTF-8 (in Excel: CSV UTF-8) and send it again');
}
