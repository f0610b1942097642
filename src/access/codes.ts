/**
 * One-time codes people read and type (pairing, account links): 8 characters from a CSPRNG,
 * in Crockford's base 32, which leaves out the letters read as digits or as each other
 * (I, L, O, U). What people type is read kindly: spaces, dashes and lower case go, and an O
 * typed for 0 or an I or L for 1 still matches.
 */
import { randomInt } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

export function newCode(length = 8): string {
  let code = '';
  for (let i = 0; i < length; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return code;
}

/** The code as typed (spaces, dashes and case aside), then as read with O for 0 and I or L for 1: the first stored one is it. Codes made before the alphabet left those letters out match as typed. */
export function codeCandidates(input: string): string[] {
  const typed = input.replace(/[\s-]+/g, '').toUpperCase();
  const read = typed.replace(/O/g, '0').replace(/[IL]/g, '1');
  return read === typed ? [typed] : [typed, read];
}
