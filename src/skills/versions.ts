/**
 * Skill versions in SQLite. Every change is a row with the full SKILL.md text, its
 * hash, who made it (the agent, a person, or an import: first sight of a skill
 * Cairn did not write) and why. A skill is archived while its newest row is an
 * archive. Changes made on disk behind Cairn's back are picked up by `ensure`,
 * which records them as a person's edit before anything else touches the skill. Old versions' texts may be
 * pruned (version-pruning.ts): the row stays, its `text` is undefined, `textPrunedAt` says when.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Db } from '../store/db.js';
import { hashText, normalizeText } from './format.js';
import type { LoadedSkill, SkillSourceKind } from './library.js';
import type { SharedFolder } from './shared-folder.js';

export const SKILL_AUTHORS = ['agent', 'person', 'import'] as const;
export const SKILL_ACTIONS = ['import', 'edit', 'create', 'patch', 'rollback', 'archive'] as const;
export type SkillAuthor = (typeof SKILL_AUTHORS)[number];
export type SkillAction = (typeof SKILL_ACTIONS)[number];

export interface SkillVersion {
  name: string;
  version: number;
  action: SkillAction;
  author: SkillAuthor;
  reason: string | undefined;
  /** The SKILL.md text; undefined once pruned, where no other version of the skill has the same text. */
  text: string | undefined;
  hash: string;
  source: SkillSourceKind;
  sessionId: string | undefined;
  createdAt: number;
  /** When this version's own text was pruned (a version with the same text may still hold it: `text`). */
  textPrunedAt?: number | undefined;
}

export type NewSkillVersion = Omit<SkillVersion, 'version' | 'text' | 'textPrunedAt'> & { text: string };

const rowSchema = z.object({
  name: z.string(),
  version: z.number().int(),
  action: z.enum(SKILL_ACTIONS),
  author: z.enum(SKILL_AUTHORS),
  reason: z.string().nullable(),
  text: z.string(),
  hash: z.string(),
  source: z.enum(['learned', 'extra', 'bundled']),
  session_id: z.string().nullable(),
  created_at: z.number().int(),
  text_pruned_at: z.number().int().nullable(),
});

const COLUMNS = 'name, version, action, author, reason, text, hash, source, session_id, created_at, text_pruned_at';
const INSERTED = 'name, version, action, author, reason, text, hash, source, session_id, created_at';

export class SkillVersions {
  private readonly statements;

  /** `shared`: the learned folder's notes of what other Cairns on it wrote (shared-folder.ts). */
  constructor(
    private readonly db: Db,
    private readonly shared?: SharedFolder,
  ) {
    this.statements = {
      latest: db.prepare(`SELECT ${COLUMNS} FROM skill_versions WHERE name = ? ORDER BY version DESC LIMIT 1`),
      get: db.prepare(`SELECT ${COLUMNS} FROM skill_versions WHERE name = ? AND version = ?`),
      history: db.prepare(`SELECT ${COLUMNS} FROM skill_versions WHERE name = ? ORDER BY version`),
      withHash: db.prepare(`SELECT ${COLUMNS} FROM skill_versions WHERE name = ? AND hash = ? ORDER BY version DESC LIMIT 1`),
      next: db.prepare('SELECT COALESCE(MAX(version), 0) + 1 FROM skill_versions WHERE name = ?').pluck(),
      generation: db.prepare('SELECT COALESCE(MAX(id), 0) FROM skill_versions').pluck(),
      // A pruned version's text, from another version of the skill with the same text (a rollback's, an archive's).
      sameText: db.prepare<[string, string], string>('SELECT text FROM skill_versions WHERE name = ? AND hash = ? AND text_pruned_at IS NULL ORDER BY version DESC LIMIT 1').pluck(),
      insert: db.prepare(`INSERT INTO skill_versions (${INSERTED}) VALUES (@name, @version, @action, @author, @reason, @text, @hash, @source, @sessionId, @createdAt)`),
      archived: db
        .prepare(
          `SELECT v.name FROM skill_versions v
           WHERE v.action = 'archive' AND v.version = (SELECT MAX(version) FROM skill_versions w WHERE w.name = v.name)`,
        )
        .pluck(),
    };
  }

  latest(name: string): SkillVersion | undefined {
    return this.withText(toVersion(this.statements.latest.get(name)));
  }

  get(name: string, version: number): SkillVersion | undefined {
    return this.withText(toVersion(this.statements.get.get(name, version)));
  }

  history(name: string): SkillVersion[] {
    const versions = this.statements.history.all(name).map((row) => toVersion(row) as SkillVersion);
    const texts = new Map(versions.filter((v) => v.text !== undefined).map((v) => [v.hash, v.text]));
    return versions.map((v) => (v.text === undefined ? { ...v, text: texts.get(v.hash) } : v));
  }

  /** Appends the next version of a skill; call inside the write lock (an immediate transaction). */
  append(entry: NewSkillVersion): SkillVersion {
    const version = this.statements.next.get(entry.name) as number;
    const row = { ...entry, version, reason: entry.reason ?? null, sessionId: entry.sessionId ?? null };
    this.statements.insert.run(row);
    return { ...entry, version, textPrunedAt: undefined };
  }

  /** A pruned version with the text another version of the skill still holds. */
  private withText(version: SkillVersion | undefined): SkillVersion | undefined {
    if (version?.text !== undefined) return version;
    return version && { ...version, text: this.statements.sameText.get(version.name, version.hash) };
  }

  /** The newest version of a skill with exactly this text. */
  private newestWithHash(name: string, hash: string): SkillVersion | undefined {
    return toVersion(this.statements.withHash.get(name, hash));
  }

  isArchived(name: string): boolean {
    return this.latest(name)?.action === 'archive';
  }

  /** Grows with every recorded change (rows are only ever appended), so a cache can tell it is stale. */
  generation(): number {
    return this.statements.generation.get() as number;
  }

  archivedNames(): Set<string> {
    return new Set(this.statements.archived.all() as string[]);
  }

  /**
   * The version that describes `skill` as it is on disk now. A skill seen for the
   * first time is recorded as an import; one whose text changed since the newest
   * version (a person edited it, or a source with higher precedence appeared) as an edit.
   */
  ensure(skill: LoadedSkill, at: number): SkillVersion {
    return this.db
      .transaction(() => {
        const latest = this.latest(skill.name);
        // An archived skill stays archived until a rollback restores it, whatever is on disk.
        if (latest && (latest.hash === skill.document.hash || latest.action === 'archive')) return latest;
        // Read before another process (`cairn chat` beside `cairn start`, the CLI) wrote it and committed while
        // this one waited for the lock: the text read is a version already, not a person's edit undoing that write.
        const seen = latest && changedSince(skill) ? this.newestWithHash(skill.name, skill.document.hash) : undefined;
        if (seen) return seen;
        // Written by another Cairn on a shared learned folder: its change, as that Cairn recorded it, not a person's edit.
        const other = skill.source.writable ? this.shared?.changeWithHash(skill.name, skill.document.hash) : undefined;
        const written = other && this.shared?.describeChange(other, latest ? 'changed on disk' : 'written');
        return this.append({
          name: skill.name,
          action: latest ? 'edit' : 'import',
          author: latest ? (other?.author === 'agent' ? 'agent' : 'person') : 'import',
          reason: latest ? (written ?? `changed on disk (${skill.file})`) : `first seen in ${skill.source.kind} skills (${skill.file})${written ? `, ${written}` : ''}`,
          text: skill.document.text,
          hash: skill.document.hash,
          source: skill.source.kind,
          sessionId: undefined,
          createdAt: at,
        });
      })
      .immediate();
  }
}

/** Whether the skill's file no longer holds the text it was loaded with (rewritten, or moved away, since). */
function changedSince(skill: LoadedSkill): boolean {
  try {
    return hashText(normalizeText(readFileSync(skill.file, 'utf8'))) !== skill.document.hash;
  } catch {
    return true;
  }
}

function toVersion(row: unknown): SkillVersion | undefined {
  if (row === undefined) return undefined;
  const r = rowSchema.parse(row);
  return {
    name: r.name,
    version: r.version,
    action: r.action,
    author: r.author,
    reason: r.reason ?? undefined,
    text: r.text_pruned_at === null ? r.text : undefined,
    hash: r.hash,
    source: r.source,
    sessionId: r.session_id ?? undefined,
    createdAt: r.created_at,
    textPrunedAt: r.text_pruned_at ?? undefined,
  };
}
