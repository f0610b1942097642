/** One-time codes people read and type: 8 characters from A–Z and 0–9, from a CSPRNG. */
import { randomInt } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';

export function newCode(length = 8): string {
  let code = '';
  for (let i = 0; i < length; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** Codes are shown upper-case; accept what people type (spaces, lower case). */
export function normalizeCode(input: string): string {
  return input.replace(/\s+/g, '').toUpperCase();
}
