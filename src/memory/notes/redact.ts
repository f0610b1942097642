/**
 * Secrets never reach a note. On top of the shared redactor (configured secret
 * values and credential shapes such as API keys and tokens), notes mask what people
 * say in prose: "my password is hunter22", "the wifi pin: 4471", "its password is now
 * xK9mq2z", "the password is "correct horse battery staple"", "I changed my password to xK9mq2z".
 */
import { createRedactor, REDACTED } from '../../core/redact.js';

/**
 * What names a secret: `password`, `pw`, `pin code`, `api key`, … and `password for gmail`, `password for the
 * router`, `password for my work laptop` (a few words: `password for wifi at home: …` kept its value).
 */
const SECRET_NAME =
  String.raw`\b(?:password|passwd|pw|passphrase|passcode|pin(?:\s+code)?|secret(?:\s+key)?|api\s+key|access\s+key|private\s+key|token|credentials?)\b(?:\s+(?:for|of|to)(?:\s+(?:the|my|our|your|his|her|their))?(?:\s+[\w.@-]+){1,3}?)?`;
/**
 * What joins it to the value: `is`, `was`, `'s`, each maybe with a colon (`is: X`), or `=` `:` alone; and
 * an adverb people put before a new value ("is now X", "is still X", "is also X"), which is no value itself.
 */
const JOINED = String.raw`(?:(?:\s*(?:is|was)|['’]s)(?:\s*[:=])?|\s*[=:])\s*(?:(?:now|still|also)\s+)?`;
/**
 * A secret given a new value: "changed my wifi password to X", "set the router password to X", "reset the
 * password for the NAS to X". Only after such a verb: "the password to access the portal" names no value.
 */
const SET_TO = String.raw`\b(?:change[sd]?|changing|set|sets|setting|reset|resets|resetting|update[sd]?|updating)\s+(?:[\w'’.@-]+\s+){0,4}?${SECRET_NAME}\s+to\s+`;
/**
 * Words that describe a secret instead of being one ("the password is stored in 1Password", "set the password to
 * never expire", "changed my password to include symbols").
 */
const DESCRIBING =
  'not|now|still|also|being|been|stored|saved|kept|located|wrong|incorrect|invalid|expired|required|missing|needed|changed|correct|empty|rotated|revoked|reset|' +
  'something|anything|never|expire|blank|default|random|include|contain|match';

/**
 * The value: a quoted one to its closing quote (a passphrase may have spaces: only its first word
 * was masked, or none when that word describes one, as "correct" does; a single-quoted one may hold
 * an apostrophe, "don't"), else the next whitespace-free word; either unless it is one of the
 * describing words alone. A quote, comma or semicolon inside the word is part of it (`O'Brien-1987`
 * reached notes whole, `p@ss;w0rd` in part); one before a space or a full stop ends it.
 */
const QUOTED = String.raw`["“][^"“”\n]{4,200}["”]|['‘](?:[^'‘’\n]|['’](?=\w)){4,200}['’]|\`[^\`\n]{4,200}\``;
const PLAIN = String.raw`[^\s"'\`,;“”‘’]`;
const WORD = String.raw`${PLAIN}(?:${PLAIN}|["'\`,;“”‘’](?=[^\s"'\`,;“”‘’.!?)\]])){3,}`;
const VALUE = String.raw`(?:(?=["'\`“‘](?!(?:${DESCRIBING})["'\`”’]))(${QUOTED})|(?!(?:${DESCRIBING})\b)(${WORD}))`;
const PROSE_SECRET = new RegExp(String.raw`(${SET_TO}|${SECRET_NAME}${JOINED})${VALUE}`, 'gi');

export type RedactText = (text: string) => string;

export function createNoteRedactor(knownSecrets: readonly string[] = []): RedactText {
  const shared = createRedactor(knownSecrets);
  return (text) =>
    shared.text(text).replace(PROSE_SECRET, (match, prefix: string, quoted: string | undefined, word: string | undefined) => {
      const value = quoted?.slice(1, -1) ?? word ?? '';
      if (value === REDACTED || value.startsWith('[redacted')) return match;
      return quoted === undefined ? `${prefix}${REDACTED}` : `${prefix}${quoted.slice(0, 1)}${REDACTED}${quoted.slice(-1)}`;
    });
}
