/**
 * Where skills live and which copy wins. Sources, highest precedence first:
 *   1. learned — CAIRN_DATA_DIR/skills, the agent's own and the only one it writes;
 *   2. extra   — folders from config (CAIRN_SKILLS_DIRS), in the order given;
 *   3. bundled — skills/ in the repository, shipped with Cairn, read-only.
 * When two sources hold a skill of the same name the higher one shadows the lower,
 * which is how the agent improves a read-only skill: it patches a learned copy.
 *
 * Every scan re-reads the folders (each new session's catalog calls it), so an edit
 * on disk shows up without a restart; parsed files are cached by mtime, size and
 * inode, so an unchanged skill costs a stat (and an lstat: a SKILL.md that links out is refused).
 */
import { existsSync, lstatSync, readdirSync, readFileSync, realpathSync, statSync, type Stats } from 'node:fs';
import { basename, dirname, join, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NAME_PATTERN, parseSkill, suggestedName, type ParseResult, type SkillDocument } from './format.js';
import { problem, type SkillProblem } from './rules.js';

export type SkillSourceKind = 'learned' | 'extra' | 'bundled';

export interface SkillSource {
  kind: SkillSourceKind;
  dir: string;
  writable: boolean;
}

export interface LoadedSkill {
  name: string;
  description: string;
  document: SkillDocument;
  /** The skill's folder. */
  dir: string;
  /** Its SKILL.md (or skill.md). */
  file: string;
  source: SkillSource;
  /** What lenient loading forgave (foreign keys, long descriptions, …). */
  warnings: SkillProblem[];
}

export interface LibraryScan {
  /** The skill each name resolves to, sorted by name. */
  skills: LoadedSkill[];
  /** Lower-precedence copies hidden by a skill of the same name. */
  shadowed: LoadedSkill[];
  /** Skills that could not be loaded, and why. */
  broken: SkillProblem[];
  /** Names of skill folders that do not load, where no other folder of the name does (what `broken(name)` explains). */
  unloaded: string[];
}

/** A skill folder that is there but cannot be loaded, and why. */
export interface BrokenSkill {
  dir: string;
  errors: SkillProblem[];
}

/** What to tell whoever asked for a broken skill: that it is there, why it does not load, and how to check a fix. */
export function brokenSkillMessage(name: string, broken: BrokenSkill): string {
  return [
    `The skill "${name}" is in ${broken.dir} but cannot be loaded, so it is not in the catalog:`,
    ...broken.errors.map((p) => `  - [${p.rule}] ${p.message}`),
    `A person needs to fix it; \`cairn skills validate ${broken.dir}\` checks it.`,
  ].join('\n');
}

/** The skills/ folder shipped with Cairn, at the package root (found upward: this file runs from src/ or dist/src/). */
export const BUNDLED_SKILLS_DIR = join(packageRoot(fileURLToPath(new URL('.', import.meta.url))), 'skills');

function packageRoot(from: string): string {
  for (let dir = from; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    if (dirname(dir) === dir) return from;
  }
}

export interface SourceOptions {
  dataDir: string;
  extraDirs?: readonly string[];
  bundledDir?: string;
}

export function skillSources(options: SourceOptions): SkillSource[] {
  return [
    { kind: 'learned', dir: learnedSkillsDir(options.dataDir), writable: true },
    ...(options.extraDirs ?? []).map((dir): SkillSource => ({ kind: 'extra', dir, writable: false })),
    { kind: 'bundled', dir: options.bundledDir ?? BUNDLED_SKILLS_DIR, writable: false },
  ];
}

export function learnedSkillsDir(dataDir: string): string {
  return join(dataDir, 'skills');
}

/** SKILL.md in `dir`, or the lowercase skill.md the reference validator also accepts. */
export function skillFileIn(dir: string): string | undefined {
  for (const name of ['SKILL.md', 'skill.md']) {
    const path = join(dir, name);
    if (existsSync(path) && statSync(path).isFile()) return path;
  }
  return undefined;
}

/**
 * The SKILL.md (or skill.md) in `dir` with its stats, from one lstat when it is a plain file: every
 * session start loads every folder this way, and with some 500 skills the exists-stat-lstat-stat
 * of each took ~11 ms of the event loop per session start (bench: `npm run bench skills`).
 */
function skillFileStats(dir: string): { file: string; stats: Stats; linked: boolean } | undefined {
  for (const name of ['SKILL.md', 'skill.md']) {
    const file = join(dir, name);
    const own = lstatSync(file, { throwIfNoEntry: false });
    if (!own) continue;
    if (own.isFile()) return { file, stats: own, linked: false };
    if (!own.isSymbolicLink()) continue;
    // A link counts when it leads to a file (a dangling link is no SKILL.md, as existsSync said).
    const target = statSync(file, { throwIfNoEntry: false });
    if (target?.isFile()) return { file, stats: target, linked: true };
  }
  return undefined;
}

export class SkillLibrary {
  private readonly cache = new Map<string, { signature: string; result: ParseResult }>();

  constructor(readonly sources: readonly SkillSource[]) {
    if (!sources.some((source) => source.writable)) throw new Error('SkillLibrary needs one writable source for learned skills');
  }

  /** Where the agent's own skills are written. */
  get learned(): SkillSource {
    return this.sources.find((source) => source.writable) as SkillSource;
  }

  scan(): LibraryScan {
    const winners = new Map<string, LoadedSkill>();
    const shadowed: LoadedSkill[] = [];
    const broken: SkillProblem[] = [];
    const seenFiles = new Set<string>();
    const failed = new Set<string>();
    for (const source of this.sources) {
      for (const folder of this.folders(source, broken, failed)) {
        const loaded = this.loadFolder(join(source.dir, folder), folder, source);
        if ('errors' in loaded) {
          broken.push(...loaded.errors);
          failed.add(folder);
          continue;
        }
        seenFiles.add(loaded.file);
        if (winners.has(loaded.name)) shadowed.push(loaded);
        else winners.set(loaded.name, loaded);
      }
    }
    for (const file of this.cache.keys()) if (!seenFiles.has(file)) this.cache.delete(file);
    const unloaded = [...failed].filter((name) => !winners.has(name)).sort();
    return { skills: [...winners.values()].sort((a, b) => a.name.localeCompare(b.name)), shadowed, broken, unloaded };
  }

  /** The skill a name resolves to, looking only at that name's folders. */
  find(name: string): LoadedSkill | undefined {
    if (!NAME_PATTERN.test(name)) return undefined;
    for (const source of this.sources) {
      const dir = join(source.dir, name);
      if (!existsSync(dir)) continue;
      const loaded = this.loadFolder(dir, name, source);
      if (!('errors' in loaded)) return loaded;
    }
    return undefined;
  }

  /**
   * The folder of that name that is there but does not load (the first, by precedence), when no
   * folder of the name loads: `find` alone made such a skill look absent ("no skill named …").
   */
  broken(name: string): BrokenSkill | undefined {
    if (!NAME_PATTERN.test(name)) return this.misnamed(name);
    let broken: BrokenSkill | undefined;
    for (const source of this.sources) {
      const dir = join(source.dir, name);
      if (!existsSync(dir)) continue;
      const loaded = this.loadFolder(dir, name, source);
      if (!('errors' in loaded)) return undefined;
      broken ??= { dir, errors: loaded.errors };
    }
    return broken;
  }

  /** Loads one skill folder leniently, from the cache when its file has not changed. */
  loadFolder(dir: string, folderName: string, source: SkillSource): LoadedSkill | { errors: SkillProblem[] } {
    let result: ParseResult;
    let file: string | undefined;
    try {
      const found = skillFileStats(dir);
      if (!found) return { errors: [problem('file-missing', 'the folder has no SKILL.md.', dir)] };
      file = found.file;
      // A SKILL.md that is a link out of its folder (copied in from a repository, `ln -s ~/notes.md`) would put a file from
      // anywhere into the prompt, the version history and `cairn skills show`; skill_view's files may not leave the folder either.
      if (found.linked && leadsOutside(dir, file)) return { errors: [problem('path-traversal', `${basename(file)} is a link to a file outside the skill folder; put a copy of the file there in place of the link.`, file)] };
      const { stats } = found;
      const signature = `${stats.mtimeMs}:${stats.size}:${stats.ino}`;
      const cached = this.cache.get(file);
      if (cached?.signature === signature) result = cached.result;
      else {
        result = parseSkill(readFileSync(file, 'utf8'), { mode: 'lenient', folderName, file });
        this.cache.set(file, { signature, result });
      }
    } catch (error) {
      return { errors: [problem('file-missing', `cannot be read: ${(error as Error).message}`, file ?? dir)] };
    }
    if (!result.document) return { errors: result.errors };
    const { document } = result;
    return { name: document.frontmatter.name, description: document.frontmatter.description, document, dir, file, source, warnings: result.warnings };
  }

  /**
   * A folder of exactly that name whose name is no skill name (`brewing_tea`, `BrewingTea`): never
   * loaded, so `/skills` said "No skills yet" and `/skills brewing_tea` "no skill named" while the
   * person looked at the folder.
   */
  private misnamed(name: string): BrokenSkill | undefined {
    // One visible path segment only: the name may come from the model (skill_view).
    if (name === '' || name.startsWith('.') || /[/\\\0]/.test(name)) return undefined;
    for (const source of this.sources) {
      let entries: string[];
      try {
        entries = readdirSync(source.dir);
      } catch {
        continue;
      }
      // Listed, not probed with existsSync: on a case-insensitive disk "Brewing-Tea" would find brewing-tea.
      const dir = join(source.dir, name);
      if (entries.includes(name) && existsSync(dir) && statSync(dir).isDirectory()) return { dir, errors: [misnamedFolder(name, dir)] };
    }
    return undefined;
  }

  /** Valid skill folder names, sorted; misnamed folders are reported in `broken` and added to `misnamed`. */
  private folders(source: SkillSource, broken: SkillProblem[], misnamed: Set<string>): string[] {
    let entries;
    try {
      entries = readdirSync(source.dir, { withFileTypes: true });
    } catch {
      // The learned folder appears with the first skill the agent writes; an extra folder that is missing is a config mistake.
      if (source.kind === 'extra') broken.push(problem('file-missing', 'this skills folder (from CAIRN_SKILLS_DIRS) does not exist.', source.dir));
      return [];
    }
    const names: string[] = [];
    for (const entry of entries) {
      // Hidden folders hold archived skills and in-progress writes.
      if (entry.name.startsWith('.') || !(entry.isDirectory() || entry.isSymbolicLink())) continue;
      if (!NAME_PATTERN.test(entry.name)) {
        broken.push(misnamedFolder(entry.name, join(source.dir, entry.name)));
        misnamed.add(entry.name);
        continue;
      }
      names.push(entry.name);
    }
    return names.sort();
  }
}

/** Whether `file`, directly in `dir`, is a link whose target lies outside `dir` (a folder that is itself a link is fine). */
export function leadsOutside(dir: string, file: string): boolean {
  if (!lstatSync(file).isSymbolicLink()) return false;
  const root = realpathSync(dir);
  return !realpathSync(file).startsWith(`${root}${sep}`);
}

/** Why a folder whose name is no skill name does not load, with the name to rename it to. */
function misnamedFolder(name: string, dir: string): SkillProblem {
  const suggestion = suggestedName(name);
  const rename = suggestion && suggestion !== name ? ` Rename the folder, e.g. to "${suggestion}", and make the name in its SKILL.md the same.` : '';
  return problem('name-format', `folder "${name}" is not a valid skill name (lowercase a-z, digits, single hyphens).${rename}`, dir);
}
