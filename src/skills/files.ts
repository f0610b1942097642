/**
 * Reading files of a skill folder safely: a named file strictly inside the folder
 * (no `..`, no absolute paths, no symlink that leads out), text only, size-capped.
 * (Writes go through src/store/atomic-write.ts: temp file, fsync, rename.)
 */
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { isAbsolute, join, relative, sep } from 'node:path';
import { CairnError } from '../core/errors.js';
import { MAX_FILE_BYTES } from './scan.js';

/** Largest supporting file skill_view reads: what a skill may hold (it returns a long one in pages). */
export const MAX_VIEW_BYTES = MAX_FILE_BYTES;

/** The real path of `relativePath` under `root`, refusing anything that would leave `root`. */
export function resolveInside(root: string, relativePath: string): string {
  const refuse = (why: string) => new CairnError('invalid_input', `Refused "${relativePath}": ${why}. Name a file inside the skill folder, such as references/notes.md.`);
  const path = relativePath.trim();
  if (path === '') throw refuse('the path is empty');
  if (path.includes('\0')) throw refuse('the path contains a NUL byte');
  if (isAbsolute(path) || /^[a-zA-Z]:[\\/]/.test(path) || path.startsWith('~')) throw refuse('absolute paths are not allowed');
  if (path.split(/[\\/]/).includes('..')) throw refuse('".." leaves the skill folder');
  const realRoot = realpathSync(root);
  let target: string;
  try {
    target = realpathSync(join(realRoot, path));
  } catch {
    throw new CairnError('not_found', `The skill has no file "${relativePath}".`);
  }
  const inside = relative(realRoot, target);
  if (inside === '' || inside.startsWith(`..${sep}`) || inside === '..' || isAbsolute(inside)) throw refuse('it resolves (through a link) outside the skill folder');
  return target;
}

/** Reads a text file for the model; binary and oversized files are refused with a reason. */
export function readTextFile(path: string, shownAs: string): string {
  const stats = statSync(path);
  if (!stats.isFile()) throw new CairnError('invalid_input', `"${shownAs}" is a folder; name a file inside it (${listFiles(path).slice(0, 10).map((file) => `${shownAs.replace(/\/+$/, '')}/${file}`).join(', ') || 'it is empty'}).`);
  if (stats.size > MAX_VIEW_BYTES) throw new CairnError('invalid_input', `"${shownAs}" is ${stats.size.toLocaleString('en-US')} bytes; skill_view returns files up to ${MAX_VIEW_BYTES.toLocaleString('en-US')} bytes.`);
  const bytes = readFileSync(path);
  if (bytes.includes(0)) throw new CairnError('invalid_input', `"${shownAs}" is a binary file; skill_view only returns text.`);
  return bytes.toString('utf8');
}

/** Files under a skill folder (relative paths, two levels at most), SKILL.md and hidden entries left out. */
export function listFiles(dir: string, depth = 2): string[] {
  const found: string[] = [];
  const walk = (current: string, level: number) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries.sort((a, b) => a.name.localeCompare(b.name))) {
      if (entry.name.startsWith('.')) continue;
      const path = join(current, entry.name);
      if (entry.isDirectory() && level < depth) walk(path, level + 1);
      else if (entry.isFile() && !(level === 1 && /^skill\.md$/i.test(entry.name))) found.push(relative(dir, path).split(sep).join('/'));
    }
  };
  walk(dir, 1);
  return found;
}
