/**
 * Bytes decoded in a named charset. Node 20's TextDecoder reads windows-1252 (and the labels
 * the web means it by: iso-8859-1, latin1, us-ascii…) as Latin-1, so bytes 0x80–0x9F, which
 * hold “ ” ‘ ’ – — € … in the Windows code page, became invisible control characters. Those
 * go through iconv-lite; every other charset through TextDecoder (ICU).
 */
import iconv from 'iconv-lite';

/** The WHATWG Encoding Standard's labels of windows-1252. */
const WINDOWS_1252 = new Set(['ansi_x3.4-1968', 'ascii', 'cp1252', 'cp819', 'csisolatin1', 'ibm819', 'iso-8859-1', 'iso-ir-100', 'iso8859-1', 'iso88591', 'iso_8859-1', 'iso_8859-1:1987', 'l1', 'latin1', 'us-ascii', 'windows-1252', 'x-cp1252']);

/** Throws RangeError for a charset neither knows. */
export function decodeCharset(bytes: Uint8Array, charset: string): string {
  const label = charset.trim().toLowerCase();
  if (WINDOWS_1252.has(label)) return iconv.decode(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength), 'windows-1252');
  return new TextDecoder(label).decode(bytes);
}
