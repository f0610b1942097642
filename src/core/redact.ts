/**
 * Secret redaction for anything Cairn writes outside its own logs: trajectories,
 * fine-tuning exports, and (shared with the memory layer) text that is kept for
 * later. Two passes: every secret value known from config is masked wherever it
 * appears, then well-known credential shapes (API keys, bot tokens, private keys)
 * are masked even when Cairn never knew them (a user pasted one, a tool printed one).
 */
import { setBounded } from './bounded-map.js';

export const REDACTED = '[redacted]';

/** Shorter "secrets" would mask ordinary words. */
const MIN_KNOWN_SECRET_LENGTH = 8;

interface Pattern {
  name: string;
  regex: RegExp;
  /** Replacement; `$1` keeps a prefix such as the key name in `password=…`. */
  replace: string;
}

/** Credential shapes, most specific first. Each regex is global and has no catastrophic backtracking. */
const PATTERNS: readonly Pattern[] = [
  { name: 'private key', regex: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?-----END [A-Z ]*PRIVATE KEY-----/g, replace: REDACTED },
  // A key read in pages (read_file's startLine) or with `head` has its BEGIN and END lines in
  // different texts, or no END at all: its body lines (base64, maybe after a line number such
  // as read_file's `12│`) go with whichever of the two a text holds.
  { name: 'private key start', regex: /-----BEGIN [A-Z ]*PRIVATE KEY-----(?:\r?\n[ \t]*(?:\d+[│|:\t][ \t]*)?[A-Za-z0-9+/=]{16,})+/g, replace: REDACTED },
  // Tried from a block's first line only (the line before is not one of its lines): from every line of a long base64
  // dump with no END line (`base64 photo.jpg` in a terminal), each try read to the dump's end, which took minutes.
  { name: 'private key end', regex: /(^|\n)(?<!(?:^|\n)[ \t]*(?:\d+[│|:\t][ \t]*)?[A-Za-z0-9+/=]{16,}\r?\n)(?:[ \t]*(?:\d+[│|:\t][ \t]*)?[A-Za-z0-9+/=]{16,}\r?\n)+[ \t]*(?:\d+[│|:\t][ \t]*)?-----END [A-Z ]*PRIVATE KEY-----/g, replace: `$1${REDACTED}` },
  // A password in a URL's userinfo (`postgres://app:…@db`, `redis://:…@cache`, `https://x-access-token:…@github.com`,
  // as `git remote -v` prints it): the password only, so the user and host stay readable. Placeholders that explain the form pass.
  // Quotes, backslashes and angle brackets end it: a URL holds none of them, and a JSON log line would be broken across fields.
  // Tried from the start of a run of scheme characters only, so a long `a.a.a…` run is read once.
  {
    name: 'url password',
    regex: /(?<![A-Za-z0-9+.-])([a-z][a-z0-9+.-]{0,30}:\/\/[^\s:/@?#"'`\\<>]{0,256}:)(?!(?:pass(?:word|wd)?|changeme|secret|your[_-]?password|x+|\*+)@|[$<{])[^\s/@?#"'`\\<>]{1,256}@/gi,
    replace: `$1${REDACTED}@`,
  },
  // Incoming webhooks: whoever has the URL posts as the app.
  { name: 'slack webhook', regex: /(\bhooks\.slack\.com\/(?:services|workflows|triggers)\/)[A-Za-z0-9_/-]{16,}/g, replace: `$1${REDACTED}` },
  { name: 'discord webhook', regex: /(\bdiscord(?:app)?\.com\/api\/(?:v\d{1,2}\/)?webhooks\/\d{15,25}\/)[A-Za-z0-9_-]{40,}/g, replace: `$1${REDACTED}` },
  { name: 'openai-style key', regex: /\bsk-[A-Za-z0-9_-]{16,}/g, replace: REDACTED },
  { name: 'slack token', regex: /\bxox[abposr]-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  { name: 'slack app token', regex: /\bxapp-[A-Za-z0-9-]{10,}/g, replace: REDACTED },
  { name: 'github token', regex: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/g, replace: REDACTED },
  // GitLab personal access tokens, Hugging Face and npm tokens, Stripe secret and restricted keys.
  { name: 'service token', regex: /\b(?:glpat-[A-Za-z0-9_-]{20,}|hf_[A-Za-z0-9]{30,}|npm_[A-Za-z0-9]{36,}|[sr]k_(?:live|test)_[A-Za-z0-9]{16,})/g, replace: REDACTED },
  { name: 'aws access key', regex: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g, replace: REDACTED },
  // These may end in '-', after which \b finds no boundary: the end is "no more token characters".
  { name: 'google api key', regex: /\bAIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-])/g, replace: REDACTED },
  // Also as the Bot API's URLs hold it (`api.telegram.org/bot123…:AA…/sendMessage`), where no \b comes before the digits.
  { name: 'telegram bot token', regex: /(?:(?<=bot)|\b)\d{8,10}:[A-Za-z0-9_-]{35}(?![A-Za-z0-9_-])/g, replace: REDACTED },
  // A Discord bot token: the bot's id in base64, a timestamp, an HMAC.
  { name: 'discord bot token', regex: /\b[MNO][A-Za-z0-9_-]{23,27}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_-])/g, replace: REDACTED },
  // Tried from the start of a run of token characters only, up to its first `eyJ` part (kept: it is not the token): a
  // try from each `eyJ` of a long `eyJ-eyJ-…` run read to the run's end, which took seconds.
  { name: 'jwt', regex: /(?<![A-Za-z0-9_-])((?:(?!eyJ)[A-Za-z0-9_]*-)*)eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: `$1${REDACTED}` },
  { name: 'bearer token', regex: /\b(Bearer\s+)[A-Za-z0-9._~+/-]{16,}=*/g, replace: `$1${REDACTED}` },
  // `curl -v` prints `> Authorization: Basic <base64 of user:password>`.
  { name: 'basic auth', regex: /(\bAuthorization["']?\s*[:=]\s*["']?Basic\s+)[A-Za-z0-9+/]{8,}={0,2}/gi, replace: `$1${REDACTED}` },
  {
    name: 'assigned secret',
    // The name may carry a prefix (DB_PASSWORD, client_secret, GITLAB_TOKEN): `_` is a word character, so a lookbehind
    // instead of \b; and `secret` a suffix (aws_secret_access_key, SECRET_KEY_BASE). Quotes may come escaped (\"), as in a
    // tool call's arguments, which are JSON text. Not a value already masked (a URL's password in `access-token:…@host`),
    // nor code that reads the secret from somewhere (`password = getPassword()`, `os.environ["…"]`, `$DB_PASSWORD`),
    // which masked broke the code in exports and notes.
    regex:
      /((?<![A-Za-z0-9])(?:api[_-]?key|secret(?:[_-]access)?(?:[_-]key)?(?:[_-]base)?|private[_-]key|password|passwd|passphrase|(?:access|auth|refresh)[_-]?token|token)(?:\\?["'])?\s*[:=]\s*(?:\\?["'])?)(?!\[redacted\]|\$\{?[A-Z_][A-Z0-9_]*\}?(?![^\s"'\\,;])|(?:process\.env|os\.environ|os\.getenv|ENV)\b|[A-Za-z_$][\w$]*(?:\.[A-Za-z_$][\w$]*)*[([])[^\s"'\\,;]{8,}/gi,
    replace: `$1${REDACTED}`,
  },
];

/**
 * Every pattern at once, case-insensitive (so a superset of what PATTERNS match): one scan
 * tells that a string holds no credential shape, which most strings, long prompts included,
 * do not; only the rest pay a replace pass per pattern.
 */
const ANY_PATTERN = new RegExp(PATTERNS.map((pattern) => `(?:${pattern.regex.source})`).join('|'), 'i');

/** With rememberLongTexts: texts this long are remembered, the last REMEMBERED_TEXTS of them (shorter ones are masked about as fast as looked up; longer ones would hold much memory). */
const REMEMBERED_LENGTH = { min: 1_024, max: 64 * 1_024 };
const REMEMBERED_TEXTS = 64;

export interface Redactor {
  /** The text with every secret masked. */
  text(input: string): string;
  /** A deep copy of a JSON-like value with every string masked (keys are left alone). */
  value<T>(input: T): T;
}

export interface RedactorOptions {
  /** false: mask the known secrets only (what Atropos trains on must be what the policy wrote). */
  patterns?: boolean;
  /**
   * Remember the masked form of the last long texts: for a redactor that sees the same long text
   * again and again (a batch's system prompt, in every trajectory), which then is scanned once.
   */
  rememberLongTexts?: boolean;
}

export function createRedactor(knownSecrets: readonly string[] = [], options: RedactorOptions = {}): Redactor {
  // Longest first, so a secret that contains another is masked whole.
  const known = [...new Set(knownSecrets.filter((s) => s.length >= MIN_KNOWN_SECRET_LENGTH))].sort((a, b) => b.length - a.length);
  const patterns = options.patterns ?? true;
  const remembered = new Map<string, string>();
  const text = (input: string): string => {
    if (!options.rememberLongTexts || input.length < REMEMBERED_LENGTH.min || input.length > REMEMBERED_LENGTH.max) return mask(input);
    const before = remembered.get(input);
    if (before !== undefined) return before;
    const result = mask(input);
    setBounded(remembered, input, result, REMEMBERED_TEXTS);
    return result;
  };
  const mask = (input: string): string => {
    let result = input;
    for (const secret of known) if (result.includes(secret)) result = result.split(secret).join(REDACTED);
    if (!patterns || !ANY_PATTERN.test(result)) return result;
    for (const pattern of PATTERNS) result = result.replace(pattern.regex, pattern.replace);
    return result;
  };
  const value = <T>(input: T): T => redactDeep(input, text) as T;
  return { text, value };
}

/** Every credential shape in the text (the pattern pass's, by name), for text that must hold none rather than have it masked. */
export function findCredentials(input: string): { name: string; text: string }[] {
  if (!ANY_PATTERN.test(input)) return [];
  return PATTERNS.flatMap((pattern) => [...input.matchAll(pattern.regex)].map((match) => ({ name: pattern.name, text: match[0] })));
}

/** One-off redaction with the pattern pass and the given known secrets. */
export function redactText(input: string, knownSecrets: readonly string[] = []): string {
  return createRedactor(knownSecrets).text(input);
}

function redactDeep(input: unknown, text: (s: string) => string): unknown {
  if (typeof input === 'string') return text(input);
  if (Array.isArray(input)) return input.map((item) => redactDeep(item, text));
  if (input !== null && typeof input === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(input)) out[key] = redactDeep(item, text);
    return out;
  }
  return input;
}
