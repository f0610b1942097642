/**
 * Base64 content a model sends to write_file. Node's decoder skips what is not base64 and
 * never fails, so a data: URL or a truncated string became a file of garbage reported as
 * written. Here the data: prefix models often copy comes off, line breaks are allowed, and
 * anything else that is not base64 is refused so the model can send it again.
 */
import { CairnError } from '../core/errors.js';

const DATA_URL_PREFIX = /^data:[^,]*;base64,/i;
/** The standard alphabet or the URL-safe one, padding optional. */
const BASE64 = /^(?:[A-Za-z0-9+/]*|[A-Za-z0-9_-]*)={0,2}$/;

export function decodeBase64Content(content: string): Buffer {
  const encoded = content.trim().replace(DATA_URL_PREFIX, '').replace(/\s+/g, '');
  // A length of 4n+1 cannot come from any bytes: part of the text is missing.
  if (!BASE64.test(encoded) || encoded.replace(/=+$/, '').length % 4 === 1) {
    throw new CairnError('invalid_input', 'The content is not valid base64 (only A-Z, a-z, 0-9, + and /, with = padding, are allowed). Send the base64 text alone, or use encoding utf8 for text.');
  }
  return Buffer.from(encoded, 'base64');
}
