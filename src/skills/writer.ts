/**
 * Every change to a skill goes through here: create, patch (find/replace on the
 * body or the frontmatter), archive and rollback. Each is validated strictly,
 * scanned, versioned and written atomically. A rejected write throws a
 * SkillWriteError listing every broken rule, which the tool layer hands to the
 * model as its result.
 *
 * The lock: each change runs inside one SQLite IMMEDIATE transaction, which holds
 * the database's write lock from reading the current file to recording the new
 * version, so writers to the same skill queue up, in this process (the work is
 * synchronous) and across processes (the CLI beside the bot). The new version row
 * is inserted before the file is written, so a failed write leaves no version.
 * Read-only skills (bundled, extra folders) are copied into the learned folder on
 * their first change; the copy shadows the original.
 */
import { cpSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { CairnError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import type { Db } from '../store/db.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { assembleSkill, hashText, NAME_PATTERN, normalizeText, parseSkill, renderSkill, type SkillDocument, type SkillFrontmatter } from './format.js';
import { scanSkillWrite } from './scan.js';
import { addedProblems, formatProblem, problem, type SkillProblem } from './rules.js';
import { brokenSkillMessage, skillFileIn, type LoadedSkill, type SkillLibrary } from './library.js';
import type { SharedFolder } from './shared-folder.js';
import type { SkillAuthor, SkillVersion, SkillVersions } from './versions.js';
import { prunedMessage } from './version-pruning.js';

export class SkillWriteError extends CairnError {
  readonly problems: readonly SkillProblem[];
  constructor(what: string, problems: readonly SkillProblem[]) {
    super('invalid_input', `${what}:\n${problems.map((p) => `  - ${formatProblem(p)}`).join('\n')}\nNothing was written. Fix these and try again.`);
    this.name = 'SkillWriteError';
    this.problems = problems;
  }
}

export interface WriteMeta {
  author: SkillAuthor;
  reason?: string | undefined;
  sessionId?: string | undefined;
}

export interface NewSkill {
  name: string;
  description: string;
  body: string;
  license?: string | undefined;
  compatibility?: string | undefined;
  metadata?: Record<string, string> | undefined;
  allowedTools?: string | undefined;
  /** Supporting files, one level inside scripts/, references/ or assets/. */
  files?: readonly { path: string; content: string }[] | undefined;
}

export interface SkillPatch {
  name: string;
  find: string;
  replace: string;
  target: 'body' | 'frontmatter';
}

export interface WriterOptions {
  db: Db;
  library: SkillLibrary;
  versions: SkillVersions;
  clock: Clock;
  /** Configured API keys and tokens, which no skill may contain. */
  knownSecrets?: readonly string[];
  /** Notes of each change for the other Cairns on a shared learned folder. */
  shared?: SharedFolder;
}

export class SkillWriter {
  constructor(private readonly options: WriterOptions) {}

  private get learnedDir(): string {
    return this.options.library.learned.dir;
  }

  create(input: NewSkill, meta: WriteMeta): SkillVersion {
    const text = this.newSkillText(input);
    return this.locked(() => {
      this.requireFreeName(input.name);
      const dest = join(this.learnedDir, input.name);
      const version = this.record(input.name, 'create', text, meta);
      this.publishFolder(dest, text, undefined, input.files ?? []);
      return version;
    });
  }

  /** Checks a new skill as `create` would, throwing the same errors, and writes nothing (a proposal's dry run). */
  checkCreate(input: NewSkill): void {
    this.newSkillText(input);
    this.requireFreeName(input.name);
  }

  patch(input: SkillPatch, meta: WriteMeta): SkillVersion {
    return this.locked(() => {
      const skill = this.current(input.name);
      this.options.versions.ensure(skill, this.options.clock.now());
      const text = this.patchedText(input, skill.document);
      const version = this.record(input.name, 'patch', text, meta);
      this.writeSkill(skill, text);
      return version;
    });
  }

  /**
   * Checks a patch as `patch` would, against `against` (the text the patch was written for, not
   * necessarily the skill as it is now), throwing the same errors, and writes nothing.
   */
  checkPatch(input: SkillPatch, against: SkillDocument): void {
    this.patchedText(input, against);
  }

  archive(name: string, meta: WriteMeta): SkillVersion {
    return this.locked(() => {
      const skill = this.current(name);
      this.options.versions.ensure(skill, this.options.clock.now());
      const version = this.record(name, 'archive', skill.document.text, meta, skill.source.kind);
      if (skill.source.writable) {
        // Kept, not deleted: a rollback brings the folder back with its files.
        const archiveDir = join(this.learnedDir, '.archive');
        mkdirSync(archiveDir, { recursive: true });
        renameSync(skill.dir, join(archiveDir, `${name}@v${version.version}`));
      }
      return version;
    });
  }

  /**
   * `expectedCurrent`: roll back only while that is still the skill's newest version, the text on
   * disk included (an automatic rollback must not undo an edit made after it decided).
   */
  rollback(name: string, to: number, meta: WriteMeta, expectedCurrent?: number): SkillVersion {
    const what = `Cannot roll skill "${name}" back to version ${to}`;
    return this.locked(() => {
      const target = this.options.versions.get(name, to);
      if (!target) {
        const known = this.options.versions.history(name).map((v) => v.version);
        throw new CairnError('not_found', known.length === 0 ? `${what}: there is no skill "${name}" in the version history.` : `${what}: no such version; "${name}" has versions ${known.join(', ')}.`);
      }
      if (target.text === undefined) throw new CairnError('not_found', prunedMessage(what, target, this.options.versions.history(name)));
      const text = this.check(what, target.text, name, [], 'lenient');
      const current = this.options.library.find(name);
      // An archive moves a learned folder away, so one there now was written since (a person's new skill of the
      // name, hidden while the name is archived). No version holds it and the rollback writes over it: it is recorded first.
      const rewritten = this.options.versions.isArchived(name) && current?.source.writable === true;
      if (current && rewritten) this.recordFound(current);
      const archived = this.options.versions.isArchived(name);
      if (current && !archived) {
        this.options.versions.ensure(current, this.options.clock.now());
        if (current.document.hash === target.hash && !rewritten) throw new CairnError('invalid_input', `${what}: the skill already has exactly that text.`);
      }
      const latest = this.options.versions.latest(name);
      const newest = latest?.version;
      if (expectedCurrent !== undefined && newest !== expectedCurrent) {
        throw new CairnError('invalid_input', `${what}: it changed since the rollback was decided (version ${newest ?? 'none'} now, not ${expectedCurrent}), so nothing was undone.`);
      }
      const reason = `rollback to v${to}${meta.reason ? `: ${meta.reason}` : ''}`;
      const dest = join(this.learnedDir, name);
      // A person's edit that does not load (yet) is no version, so the check above misses it; the rollback would write over it.
      const edited = expectedCurrent !== undefined && latest ? editedOnDisk(dest, latest.hash) : undefined;
      if (edited) throw new CairnError('invalid_input', `${what}: it changed on disk since the rollback was decided (${edited} is not version ${expectedCurrent}), so nothing was undone.`);
      // An archived read-only skill (bundled, a team's folder) whose text is the target's: the
      // version alone brings it back. A learned copy would freeze it, hiding later edits to the original.
      if (current && !current.source.writable && !existsSync(dest) && current.document.hash === hashText(text)) {
        return this.record(name, 'rollback', text, { ...meta, reason }, current.source.kind);
      }
      // The target is the read-only original's own text (bundled, a team's folder) under a learned copy: the
      // copy goes to the archive, so the original's later updates reach Cairn again (a copy with its text froze it).
      const original = current && !archived && current.source.writable ? this.originalOf(name) : undefined;
      if (current && original && original.document.hash === hashText(text)) {
        const version = this.record(name, 'rollback', text, { ...meta, reason }, original.source.kind);
        mkdirSync(join(this.learnedDir, '.archive'), { recursive: true });
        renameSync(current.dir, join(this.learnedDir, '.archive', `${name}@v${version.version}`));
        return version;
      }
      const version = this.record(name, 'rollback', text, { ...meta, reason });
      const restored = existsSync(dest) ? undefined : this.archivedFolder(name, to);
      if (restored) renameSync(restored, dest);
      if (existsSync(dest)) writeFileAtomic(skillFileIn(dest) ?? join(dest, 'SKILL.md'), text);
      else this.publishFolder(dest, text, current?.source.writable === false ? current.dir : undefined, []);
      return version;
    });
  }

  private locked(work: () => SkillVersion): SkillVersion {
    const version = this.options.db.transaction(work).immediate();
    // After the commit: other Cairns on a shared learned folder read it to tell this change from a person's edit.
    this.options.shared?.noteChange(version, this.options.clock.now());
    return version;
  }

  private current(name: string): LoadedSkill {
    const skill = this.options.library.find(name);
    if (!skill || this.options.versions.isArchived(name)) {
      const archived = this.options.versions.isArchived(name);
      // A folder whose SKILL.md a person broke: "no skill named …, create it" sent the model to skill_create, which the folder refuses.
      const broken = archived ? undefined : this.options.library.broken(name);
      if (broken) throw new CairnError('invalid_input', brokenSkillMessage(name, broken));
      const hint = archived ? ' It is archived; a person can restore it with `cairn skills rollback`.' : ' Check the name in the skills catalog, or create it with skill_create.';
      throw new CairnError('not_found', `There is no skill named "${name}".${hint}`);
    }
    return skill;
  }

  /** The SKILL.md text of a new skill, validated and scanned. */
  private newSkillText(input: NewSkill): string {
    if (!NAME_PATTERN.test(input.name) || input.name.length > 64) {
      throw new SkillWriteError(`Cannot create skill "${input.name}"`, [problem('name-format', 'the name must be 1–64 characters of lowercase a-z, digits and single hyphens, e.g. "optimizing-slow-sql".')]);
    }
    const frontmatter: SkillFrontmatter = { name: input.name, description: input.description, metadata: input.metadata ?? {} };
    if (input.license !== undefined) frontmatter.license = input.license;
    if (input.compatibility !== undefined) frontmatter.compatibility = input.compatibility;
    if (input.allowedTools !== undefined) frontmatter.allowedTools = input.allowedTools;
    return this.check(`Cannot create skill "${input.name}"`, renderSkill(frontmatter, input.body), input.name, input.files);
  }

  private requireFreeName(name: string): void {
    const existing = this.options.library.find(name);
    const archived = this.options.versions.isArchived(name);
    if (existing && !archived) {
      throw new CairnError('invalid_input', `A skill named "${name}" already exists (${existing.source.kind}, ${existing.file}). Change it with skill_patch, or choose another name.`);
    }
    // The archive moved the learned folder away: one there now was written since, and the archive hides it.
    if (existing?.source.writable && archived) {
      throw new CairnError('invalid_input', `The name "${name}" is archived, but ${existing.file} holds a skill of that name written since, which the archive hides. Choose another name; a person can move that folder away, or bring the name back with \`cairn skills rollback ${name} <version>\` (that file is kept as a version first).`);
    }
  }

  /** The skill's text with the patch applied: "find" must occur exactly once, and the result pass every rule. */
  private patchedText(input: SkillPatch, document: SkillDocument): string {
    const what = `Cannot patch skill "${input.name}"`;
    if (input.find === '') throw new CairnError('invalid_input', `${what}: "find" is empty; copy the exact text to replace from skill_view.`);
    const { yaml, body } = document;
    const source = input.target === 'body' ? body : yaml;
    const count = source.split(input.find).length - 1;
    if (count !== 1) {
      const where = input.target === 'body' ? 'the body' : 'the frontmatter';
      throw new CairnError(
        'invalid_input',
        count === 0
          ? `${what}: "find" does not occur in ${where}. Patches match exact text, including spaces and line breaks; view the skill with skill_view and copy the text from it.`
          : `${what}: "find" occurs ${count} times in ${where}; include more of the surrounding text so it matches exactly once.`,
      );
    }
    const replaced = source.replace(input.find, () => input.replace);
    const next = input.target === 'body' ? assembleSkill(yaml, replaced) : assembleSkill(replaced, body);
    const text = this.check(what, next, input.name, undefined, 'strict', document.text);
    if (text === document.text) throw new CairnError('invalid_input', `${what}: the replacement leaves the skill unchanged.`);
    return text;
  }

  /**
   * Validates and scans; returns the normalized text or throws every problem found.
   * Strict for new text; lenient for a rollback, whose target may be a foreign skill's imported text.
   * `before`, for a patch: the problems its text had already are not the patch's (a skill a person
   * wrote with an unknown key, loaded with a warning, could never be patched or refined); a patch
   * adds none, and makes no measured one (a body over 500 lines) worse.
   */
  private check(what: string, raw: string, name: string, files?: readonly { path: string; content: string }[], mode: 'strict' | 'lenient' = 'strict', before?: string): string {
    const problemsOf = (candidate: string, parseMode: 'strict' | 'lenient') => {
      const parsed = parseSkill(candidate, { mode: parseMode, folderName: name, file: 'SKILL.md' });
      const text = parsed.document?.text ?? candidate;
      return { text, problems: [...parsed.errors, ...scanSkillWrite({ text, files: files ?? [], knownSecrets: this.options.knownSecrets ?? [] })] };
    };
    const checked = problemsOf(raw, mode);
    // Not compared as printed: the messages carry line numbers and counts that a harmless patch changes.
    const added = before === undefined ? checked.problems : addedProblems(problemsOf(before, mode).problems, checked.problems);
    if (added.length > 0) throw new SkillWriteError(what, added);
    // A strict parse with problems the skill had gives no document: its lenient reading is the normalized text.
    return checked.problems.length > 0 ? problemsOf(raw, 'lenient').text : checked.text;
  }

  /** A skill found in the learned folder while its name is archived, recorded as a person's edit (which ends the archive). */
  private recordFound(skill: LoadedSkill): SkillVersion {
    return this.record(skill.name, 'edit', skill.document.text, { author: 'person', reason: `written to ${skill.file} after the skill was archived` });
  }

  private record(name: string, action: SkillVersion['action'], text: string, meta: WriteMeta, source: SkillVersion['source'] = 'learned'): SkillVersion {
    return this.options.versions.append({ name, action, author: meta.author, reason: meta.reason, text, hash: hashText(text), source, sessionId: meta.sessionId, createdAt: this.options.clock.now() });
  }

  /** Writes a changed SKILL.md: in place for a learned skill, as a learned copy of a read-only one. */
  private writeSkill(skill: LoadedSkill, text: string): void {
    if (skill.source.writable) writeFileAtomic(skill.file, text);
    else this.publishFolder(join(this.learnedDir, skill.name), text, skill.dir, []);
  }

  /** Builds a skill folder beside its final place and renames it in, so it appears whole or not at all. */
  private publishFolder(dest: string, text: string, copyFrom: string | undefined, files: readonly { path: string; content: string }[]): void {
    if (existsSync(dest)) throw new CairnError('invalid_input', `The folder ${dest} exists but holds no valid skill; a person needs to fix or remove it first (see \`cairn skills validate\`).`);
    mkdirSync(this.learnedDir, { recursive: true });
    removeAbandonedTemps(this.learnedDir, this.options.clock.now());
    const temp = join(this.learnedDir, `${TEMP_PREFIX}${randomUUID().slice(0, 8)}`);
    try {
      if (copyFrom) {
        // Links inside are left behind (a copied link could point anywhere); a skill folder that is itself a link is copied from where it leads.
        const source = realpathSync(copyFrom);
        cpSync(source, temp, { recursive: true, filter: (path) => path === source || !lstatSync(path).isSymbolicLink() });
        rmSync(join(temp, 'skill.md'), { force: true });
      } else mkdirSync(temp);
      writeFileAtomic(join(temp, 'SKILL.md'), text);
      for (const file of files) writeFileAtomic(join(temp, file.path), file.content);
      renameSync(temp, dest);
    } catch (error) {
      rmSync(temp, { recursive: true, force: true });
      throw error;
    }
  }

  /**
   * The archived folder that holds version `to`'s files: the first archived after it (a name
   * can be archived, created anew and archived again); the newest when none is after it.
   */
  /** The skill of that name in a read-only folder (bundled, a team's), which a learned copy may hide. */
  private originalOf(name: string): LoadedSkill | undefined {
    for (const source of this.options.library.sources) {
      if (source.writable || !existsSync(join(source.dir, name))) continue;
      const loaded = this.options.library.loadFolder(join(source.dir, name), name, source);
      if (!('errors' in loaded)) return loaded;
    }
    return undefined;
  }

  private archivedFolder(name: string, to: number): string | undefined {
    const archiveDir = join(this.learnedDir, '.archive');
    if (!existsSync(archiveDir)) return undefined;
    const prefix = `${name}@v`; // names never contain "@", so the prefix is exact
    const archived = readdirSync(archiveDir)
      .filter((entry) => entry.startsWith(prefix) && /^\d+$/.test(entry.slice(prefix.length)))
      .map((entry) => ({ entry, version: Number(entry.slice(prefix.length)) }))
      .sort((a, b) => a.version - b.version);
    const chosen = archived.find((folder) => folder.version > to) ?? archived.at(-1);
    return chosen ? join(archiveDir, chosen.entry) : undefined;
  }
}

/** The learned folder's SKILL.md when its text is not the version with `hash` (whether or not it loads). */
function editedOnDisk(dir: string, hash: string): string | undefined {
  const file = skillFileIn(dir);
  return file !== undefined && hashText(normalizeText(readFileSync(file, 'utf8'))) !== hash ? file : undefined;
}

const TEMP_PREFIX = '.tmp-';
/** Older than any write takes: another process on the folder (`cairn chat` beside `cairn start`) may be building one now. */
const ABANDONED_AFTER_MS = 60 * 60_000;

/** Half-built skill folders a crash left behind (hidden, never loaded, but never removed either). */
function removeAbandonedTemps(dir: string, now: number): void {
  for (const entry of readdirSync(dir)) {
    if (!entry.startsWith(TEMP_PREFIX)) continue;
    const path = join(dir, entry);
    try {
      if (now - lstatSync(path).mtimeMs > ABANDONED_AFTER_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Gone already, or not ours to remove: the write goes on either way.
    }
  }
}
