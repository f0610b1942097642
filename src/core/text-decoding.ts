/**
 * The text of a text file in whatever encoding it came in. UTF-8 (with or without its mark)
 * and UTF-16 that says so with its byte-order mark (Windows PowerShell 5's `> out.txt`,
 * Notepad's "Unicode") are read as such. Anything else is in a legacy code page the bytes do
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
  try {
    decoded = { text: new TextDecoder(utf16 ?? 'utf-8', { fatal: true }).decode(bytes) };
  } catch {
    if (utf16) throw new CairnError('invalid_input', 'it is not UTF-16 text');
    if (bytes.includes(0)) throw binary();
    decoded = damagedUtf8(bytes) ?? legacyText(bytes);
  }
  if (decoded.text.includes('\0')) throw binary();
  return { ...decoded, text: decoded.text.replace(/^\uFEFF/, '').trimEnd() };
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
