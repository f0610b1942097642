/**
 * Secrets never reach a note. On top of the shared redactor (configured secret
 * values and credential shapes such as API keys and tokens), notes mask what people
 * say in prose: "my password is hunter22", "the wifi pin: 4471".
 */
import { createRedactor, REDACTED } from '../../core/redact.js';

/**
 * `password is X`, `passcode: X`, `pin = X`: the value is the next whitespace-free
 * word, unless it is one of the words that describe a secret instead of being one.
 */
const PROSE_SECRET =
  /(\b(?:password|passwd|passphrase|passcode|pin(?:\s+code)?|secret(?:\s+key)?|api\s+key|access\s+key|private\s+key|token|credentials?)\b(?:\s+(?:for|of|to)\s+[\w.@-]+)?\s*(?:is|was|=|:)\s*["'`]?)(?!(?:not|now|still|also|being|stored|saved|kept|located|wrong|incorrect|invalid|expired|required|missing|needed|changed|correct|empty|rotated|revoked|reset)\b)([^\s"'`,;]{4,})/gi;

export type RedactText = (text: string) => string;

export function createNoteRedactor(knownSecrets: readonly string[] = []): RedactText {
  const shared = createRedactor(knownSecrets);
  return (text) => shared.text(text).replace(PROSE_SECRET, (match, prefix: string, value: string) => (value === REDACTED || value.startsWith('[redacted') ? match : `${prefix}${REDACTED}`));
}
