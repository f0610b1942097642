/**
 * The `.env` file `cairn setup` writes: the settings it asked for replace those lines (or
 * are added at the end), the ones it makes wrong are removed, and everything else (other
 * settings, comments, blank lines) stays as it was. Written atomically, readable by its
 * owner only, since it holds tokens.
 */
import { chownSync, existsSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseDotenv, readDotenv } from '../config/dotenv.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { CairnError } from '../core/errors.js';

export interface EnvChanges {
  set: Record<string, string>;
  /** Settings that would contradict the new ones (a custom base URL when a hosted provider is chosen). */
  remove?: readonly string[];
}

/** The file's settings as Cairn reads them (empty when there is no file). */
export function readEnvFile(path: string): Record<string, string> {
  return existsSync(path) ? readDotenv(path) : {};
}

/** The file's text with the changes made: lines of other settings kept in place. */
export function applyEnvChanges(text: string, changes: EnvChanges): string {
  const changed = rewrite(text, changes);
  assertReadsAsIntended(text, changed, changes);
  return changed;
}

function rewrite(text: string, changes: EnvChanges): string {
  const remove = new Set(changes.remove ?? []);
  const pending = new Map(Object.entries(changes.set));
  const lines: string[] = [];
  // A byte-order mark (some Windows editors write one) would hide the first line's key; it is not written back.
  const plain = text.replace(/^\uFEFF/, '');
  for (const entry of entries(plain === '' ? [] : plain.replace(/\n$/, '').split('\n'))) {
    const key = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=/.exec(entry[0] ?? '')?.[1];
    if (key !== undefined && remove.has(key)) continue;
    if (key !== undefined && key in changes.set) {
      // The new value takes the key's first line; later copies go, since the last one is what is read.
      const value = pending.get(key);
      if (value !== undefined) lines.push(`${key}=${quoted(value)}`);
      pending.delete(key);
      continue;
    }
    lines.push(...entry);
  }
  if (pending.size > 0) {
    if (lines.length > 0 && lines.at(-1) !== '') lines.push('');
    // No quote characters: one could close a quote a line above opened and never closed.
    lines.push('# Written by cairn setup');
    for (const [key, value] of pending) lines.push(`${key}=${quoted(value)}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * The file's lines grouped by setting: a quoted value may run over several lines (a PEM key),
 * and those lines are one setting's, replaced or kept whole (a line of it that looks like
 * `KEY=…` is not a setting of its own).
 */
function* entries(lines: readonly string[]): Generator<string[]> {
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const opened = /^\s*(?:export\s+)?[A-Za-z_][A-Za-z0-9_]*\s*=\s*(["'`])(.*)$/.exec(line);
    const quote = opened?.[1];
    if (quote === undefined || (opened?.[2] ?? '').includes(quote)) {
      yield [line];
      continue;
    }
    // Up to the line that closes the quote. One never closed is that line's alone (its value is
    // the rest of the line, quote and all), as Node's parseEnv, which Cairn reads .env with, takes it.
    let end = i + 1;
    while (end < lines.length && !(lines[end] ?? '').includes(quote)) end++;
    if (end === lines.length) {
      yield [line];
      continue;
    }
    yield lines.slice(i, end + 1);
    i = end;
  }
}

/**
 * A .env that is a link (to a shared file, linked into each release) is written where it points:
 * the atomic rename would otherwise put a plain file in the link's place, and the shared file
 * would keep the old settings.
 */
export function writeEnvFile(path: string, changes: EnvChanges): void {
  const target = envFileTarget(path);
  const was = existsSync(target) ? statSync(target) : undefined;
  writeFileAtomic(target, applyEnvChanges(was ? readFileSync(target, 'utf8') : '', changes), { mode: 0o600 });
  // The new file is its writer's: after `sudo cairn setup` the owner's Cairn could no longer read its own .env
  // (root's, 0600). Only root may give a file away, so only root gives it back.
  if (was && process.getuid?.() === 0) chownSync(target, was.uid, was.gid);
}

/** The file `path` names once links are followed (the one written); `path` itself when it is no link. */
export function envFileTarget(path: string): string {
  try {
    return realpathSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  // Nothing there yet, or a link to a file not made yet: that file is the one to write.
  let pointsTo: string;
  try {
    pointsTo = readlinkSync(path);
  } catch {
    return path;
  }
  return envFileTarget(resolve(dirname(path), pointsTo));
}

/**
 * The changed text, read as Cairn reads it, must hold exactly the settings intended: a quote a
 * line opened and never closed can swallow the lines written after it, and .env would then
 * silently say something other than what setup reports.
 */
function assertReadsAsIntended(before: string, after: string, changes: EnvChanges): void {
  const intended: Record<string, string | undefined> = { ...parseDotenv(before), ...changes.set };
  for (const key of changes.remove ?? []) if (!Object.hasOwn(changes.set, key)) delete intended[key];
  const read = parseDotenv(after);
  const differing = [...new Set([...Object.keys(intended), ...Object.keys(read)])].filter((key) => intended[key] !== read[key]);
  if (differing.length === 0) return;
  throw new CairnError(
    'invalid_input',
    `.env would not read back as written (${differing.join(', ')}): a quote opened on one of its lines and never closed, most likely. Close or remove that quote by hand, then run \`cairn setup\` again.`,
  );
}

/** A value as a dotenv line holds it: bare when it is plain, else single-quoted (taken literally). */
function quoted(value: string): string {
  if (/^[A-Za-z0-9_./:@+,=?&%~-]*$/.test(value)) return value;
  if (!/['\n]/.test(value)) return `'${value}'`;
  throw new CairnError('invalid_input', 'A value with a quote or a line break cannot go into .env safely: set that one by hand.');
}
