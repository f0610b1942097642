/**
 * `cairn skills validate` and CI: every rule, strictly, on skill folders found at
 * the given paths, plus the write scan (a hand-written skill must not carry secrets
 * either) and a check that no link inside a folder leads out of it.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseSkill } from './format.js';
import { skillFileIn } from './library.js';
import { problem, type SkillProblem } from './rules.js';
import { FILE_FOLDERS, MAX_FILE_BYTES, scanSkillWrite } from './scan.js';

export interface ValidationReport {
  /** Skill folders checked. */
  checked: string[];
  problems: SkillProblem[];
}

export interface ValidateOptions {
  knownSecrets?: readonly string[];
}

/**
 * Each path may be a SKILL.md, a skill folder, or a folder of skill folders;
 * hidden folders (archives, temp writes) are skipped.
 */
export function validatePaths(paths: readonly string[], options: ValidateOptions = {}): ValidationReport {
  const report: ValidationReport = { checked: [], problems: [] };
  for (const path of paths) {
    if (!existsSync(path)) {
      report.problems.push(problem('file-missing', 'no such file or folder.', path));
      continue;
    }
    const folders = statSync(path).isFile() ? [dirname(path)] : skillFileIn(path) ? [path] : skillFoldersIn(path);
    if (folders.length === 0) report.problems.push(problem('file-missing', 'holds no skill folders (folders with a SKILL.md).', path));
    for (const folder of folders) {
      report.checked.push(folder);
      report.problems.push(...validateSkillFolder(folder, options));
    }
  }
  return report;
}

export function validateSkillFolder(dir: string, options: ValidateOptions = {}): SkillProblem[] {
  if (!existsSync(dir)) return [problem('file-missing', 'is a link to something that no longer exists.', dir)];
  const file = skillFileIn(dir);
  if (!file) return [problem('file-missing', 'the folder has no SKILL.md.', dir)];
  // Resolved: `cairn skills validate .` (or SKILL.md) inside the folder names it by its real name, not ".".
  const parsed = parseSkill(readFileSync(file, 'utf8'), { mode: 'strict', folderName: basename(resolve(dir)), file });
  const files = supportingFiles(dir);
  const scanned = scanSkillWrite({ text: parsed.document?.text ?? readFileSync(file, 'utf8'), files: files.text, knownSecrets: options.knownSecrets ?? [] });
  return [...parsed.errors, ...scanned.map((p) => ({ ...p, file: join(dir, p.file ?? '') })), ...files.problems];
}

/** The visible sub-folders of a folder of skills, and links that lead nowhere (to be reported, not skipped). */
export function skillFoldersIn(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.') && (entry.isDirectory() || entry.isSymbolicLink()))
    .map((entry) => join(dir, entry.name))
    .filter((path) => !existsSync(path) || statSync(path).isDirectory())
    .sort();
}

/** Text files under scripts/, references/ and assets/ (for the scan), and links that escape the folder. */
function supportingFiles(dir: string): { text: { path: string; content: string }[]; problems: SkillProblem[] } {
  const text: { path: string; content: string }[] = [];
  const problems: SkillProblem[] = [];
  const root = realpathSync(dir);
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const path = join(current, entry.name);
      if (lstatSync(path).isSymbolicLink()) {
        let target: string | undefined;
        try {
          target = realpathSync(path);
        } catch {
          target = undefined;
        }
        const inside = target !== undefined && (target === root || target.startsWith(`${root}${sep}`));
        if (!inside) problems.push(problem('path-traversal', 'is a link that leads outside the skill folder (or nowhere).', path));
        continue;
      }
      if (entry.isDirectory()) walk(path);
      else if (entry.isFile()) {
        const rel = relative(dir, path).split(sep).join('/');
        const [folder] = rel.split('/');
        if (!(FILE_FOLDERS as readonly string[]).includes(folder ?? '') || rel.split('/').length !== 2) continue;
        if (statSync(path).size > MAX_FILE_BYTES) {
          problems.push(problem('size', `is larger than ${MAX_FILE_BYTES.toLocaleString('en-US')} bytes.`, path));
          continue;
        }
        const bytes = readFileSync(path);
        if (!bytes.includes(0)) text.push({ path: rel, content: bytes.toString('utf8') });
      }
    }
  };
  walk(dir);
  return { text, problems };
}
