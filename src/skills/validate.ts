/**
 * `cairn skills validate` and CI: every rule, strictly, on skill folders found at
 * the given paths, plus the write scan (a hand-written skill must not carry secrets
 * either) and a check that no link inside a folder leads out of it.
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve, sep } from 'node:path';
import { parseSkill } from './format.js';
import { leadsOutside, skillFileIn, type SkillSource } from './library.js';
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

/**
 * `cairn skills validate` with no paths: each sub-folder of each source, checked as a skill
 * folder, the way the loader reads them. A folder of skills inside a source (a category such as
 * skills/databases/tuning-postgres) is reported, not searched: the loader looks one level down
 * only, so none of its skills load. A missing extra folder is a config mistake; a missing learned
 * one is just empty.
 */
export function validateSources(sources: readonly SkillSource[], options: ValidateOptions = {}): ValidationReport {
  const report: ValidationReport = { checked: [], problems: [] };
  for (const source of sources) {
    if (!existsSync(source.dir)) {
      if (source.kind === 'extra') report.problems.push(problem('file-missing', 'this skills folder (from CAIRN_SKILLS_DIRS) does not exist.', source.dir));
      continue;
    }
    for (const folder of skillFoldersIn(source.dir)) {
      report.checked.push(folder);
      report.problems.push(...validateSkillFolder(folder, options));
    }
  }
  return report;
}

export function validateSkillFolder(dir: string, options: ValidateOptions = {}): SkillProblem[] {
  if (!existsSync(dir)) return [problem('file-missing', 'is a link to something that no longer exists.', dir)];
  const file = skillFileIn(dir);
  if (!file) return [problem('file-missing', missingSkillFile(dir), dir)];
  const files = supportingFiles(dir);
  // Reported as a link out (by supportingFiles) and not read: its target's text is no part of the skill.
  if (leadsOutside(dir, file)) return files.problems;
  // Resolved: `cairn skills validate .` (or SKILL.md) inside the folder names it by its real name, not ".".
  const parsed = parseSkill(readFileSync(file, 'utf8'), { mode: 'strict', folderName: basename(resolve(dir)), file });
  const scanned = scanSkillWrite({ text: parsed.document?.text ?? readFileSync(file, 'utf8'), files: files.text, knownSecrets: options.knownSecrets ?? [] });
  // The scan names the file SKILL.md; a folder may hold it as skill.md, and the person should be sent to the file that is there.
  return [...parsed.errors, ...scanned.map((p) => ({ ...p, file: p.file === 'SKILL.md' ? file : join(dir, p.file ?? '') })), ...files.problems];
}

/** Why a folder has no skill in it, and, for a category folder of skills, what to do. */
function missingSkillFile(dir: string): string {
  const nested = skillFoldersIn(dir).filter((folder) => existsSync(folder) && skillFileIn(folder) !== undefined);
  if (nested.length === 0) return 'the folder has no SKILL.md.';
  const names = nested.map((folder) => basename(folder));
  return `the folder has no SKILL.md; it holds skill folders (${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}), but skills load only from folders directly inside a skills folder. Move them up one level.`;
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
        if (!inside) problems.push(problem('path-traversal', 'is a link that leads outside the skill folder (or nowhere); put a copy of the file there in place of the link, or remove it.', path));
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
