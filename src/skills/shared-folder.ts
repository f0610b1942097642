/**
 * A learned skills folder that more than one Cairn writes: two bots, each with its own data folder
 * and database, whose `<data folder>/skills` is one shared folder (a link, a bind mount, NFS), so
 * that what one learns the other can use. Each keeps the history in its own database, so what the
 * other did is known here only through the folder. Two kinds of note live in its hidden `.cairn/`:
 *
 *   changes/<name>.json    the last change a Cairn wrote to that skill: the text's hash, what it was,
 *                          who, why, the version in that Cairn's history, and which Cairn
 *   instances/<id>.json    each Cairn that uses the folder: its data folder and host, when it was
 *                          last seen, and when it last used each skill
 *
 * Without them the other's patch was recorded as "a person's edit", and one Cairn's idle audit
 * archived (moved away) a skill only the other used, every day. Notes are hints: written whole
 * (atomic rename), read through zod, and one that is missing, unreadable or another Cairn's stale
 * word changes only how a history row is worded and what the audit counts as a use.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { writeFileAtomic } from '../store/atomic-write.js';
import { NAME_PATTERN } from './format.js';
import type { SkillAuthor, SkillVersion } from './versions.js';
import { SKILL_ACTIONS, SKILL_AUTHORS } from './versions.js';

/** One Cairn: the id its data folder keeps, and where it runs, to name it to people. */
export interface CairnRef {
  id: string;
  dataDir: string;
  host: string;
}

export interface ChangeNote {
  name: string;
  hash: string;
  action: SkillVersion['action'];
  author: SkillAuthor;
  reason: string | undefined;
  /** The version in the writing Cairn's own history (another database's numbering). */
  version: number;
  at: number;
  by: CairnRef;
}

export interface InstanceMark {
  by: CairnRef;
  seenAt: number;
  /** Skill name → when this Cairn last used it (skill_view). */
  lastUsed: Record<string, number>;
}

const cairnSchema = z.object({ id: z.string().min(1), dataDir: z.string(), host: z.string() });
const changeSchema = z.object({
  name: z.string(),
  hash: z.string(),
  action: z.enum(SKILL_ACTIONS),
  author: z.enum(SKILL_AUTHORS),
  reason: z.string().optional(),
  version: z.number().int(),
  at: z.number(),
  by: cairnSchema,
});
const markSchema = z.object({ by: cairnSchema, seenAt: z.number(), lastUsed: z.record(z.string(), z.number()) });

/** The file in a data folder that names its Cairn to others on a shared skills folder. */
export const INSTANCE_ID_FILE = 'instance-id';
const NOTES = '.cairn';

const ACTION_WORDS: Record<SkillVersion['action'], string> = { create: 'a new skill', patch: 'a patch', rollback: 'a rollback', archive: 'an archive', edit: 'an edit', import: 'an import' };
const AUTHOR_WORDS: Record<SkillAuthor, string> = { agent: 'its agent', person: 'a person', import: 'an import' };

export class SharedFolder {
  private ref: CairnRef | undefined;

  constructor(
    private readonly learnedDir: string,
    private readonly dataDir: string,
  ) {}

  /** This Cairn, its id made (and kept in the data folder) only when `create` (a write). */
  private me(create: boolean): CairnRef | undefined {
    if (this.ref) return this.ref;
    const file = join(this.dataDir, INSTANCE_ID_FILE);
    let id: string | undefined;
    try {
      id = readFileSync(file, 'utf8').trim() || undefined;
    } catch {
      id = undefined;
    }
    if (!id) {
      if (!create) return undefined;
      id = randomUUID();
      writeFileAtomic(file, `${id}\n`);
    }
    this.ref = { id, dataDir: this.dataDir, host: hostname() };
    return this.ref;
  }

  /** Records a change this Cairn wrote, for the other Cairns on the folder; never fails the write. */
  noteChange(version: SkillVersion, now: number): void {
    if (!NAME_PATTERN.test(version.name)) return;
    try {
      const by = this.me(true) as CairnRef;
      const note: ChangeNote = { name: version.name, hash: version.hash, action: version.action, author: version.author, reason: version.reason, version: version.version, at: now, by };
      writeFileAtomic(join(this.learnedDir, NOTES, 'changes', `${version.name}.json`), `${JSON.stringify(note)}\n`);
    } catch {
      // A hint for the others: the change itself is written and recorded.
    }
  }

  /** The last change another Cairn wrote to `name`, if that is whom the folder names. */
  lastChange(name: string): ChangeNote | undefined {
    if (!NAME_PATTERN.test(name)) return undefined;
    const note = readJson(join(this.learnedDir, NOTES, 'changes', `${name}.json`), changeSchema);
    if (!note || note.name !== name || note.by.id === this.me(false)?.id) return undefined;
    return { ...note, reason: note.reason };
  }

  /** Another Cairn's change whose text is `hash`: what a skill on disk with that text is. */
  changeWithHash(name: string, hash: string): ChangeNote | undefined {
    const note = this.lastChange(name);
    return note?.hash === hash ? note : undefined;
  }

  /** Says this Cairn uses the folder, and when it last used each skill (the others' audits count those uses). */
  publish(now: number, lastUsed: Record<string, number>): void {
    try {
      const by = this.me(true) as CairnRef;
      const file = join(this.learnedDir, NOTES, 'instances', `${by.id}.json`);
      // Merged with what this data folder said before: a batch run on it has its own database with only its own uses.
      const merged = { ...(readJson(file, markSchema)?.lastUsed ?? {}) };
      for (const [name, at] of Object.entries(lastUsed)) merged[name] = Math.max(merged[name] ?? 0, at);
      const mark: InstanceMark = { by, seenAt: now, lastUsed: merged };
      writeFileAtomic(file, `${JSON.stringify(mark)}\n`);
    } catch {
      // A folder this Cairn cannot write (read-only mount): the others archive on their own uses, as before.
    }
  }

  /** The other Cairns that said they use the folder, newest first. */
  others(): InstanceMark[] {
    const dir = join(this.learnedDir, NOTES, 'instances');
    if (!existsSync(dir)) return [];
    const mine = this.me(false)?.id;
    const marks: InstanceMark[] = [];
    for (const entry of safeList(dir)) {
      if (!entry.endsWith('.json')) continue;
      const mark = readJson(join(dir, entry), markSchema);
      if (mark && mark.by.id !== mine) marks.push(mark);
    }
    return marks.sort((a, b) => b.seenAt - a.seenAt);
  }

  /** When another Cairn on the folder last used `name`, as far as its mark says. */
  lastUsedElsewhere(name: string, marks: readonly InstanceMark[] = this.others()): number | undefined {
    const times = marks.map((mark) => mark.lastUsed[name]).filter((at): at is number => at !== undefined);
    return times.length > 0 ? Math.max(...times) : undefined;
  }

  /** "the Cairn on /srv/slack-data" (with its host when not this one's): how history and messages name another Cairn. */
  describe(by: CairnRef): string {
    return `the Cairn on ${by.dataDir}${by.host === hostname() ? '' : ` at ${by.host}`}`;
  }

  /** A change note in words: "changed on disk by the Cairn on … (its version 2, a patch by its agent): why". */
  describeChange(note: ChangeNote, verb: string): string {
    return `${verb} by ${this.describe(note.by)} (its version ${note.version}, ${ACTION_WORDS[note.action]} by ${AUTHOR_WORDS[note.author]})${note.reason ? `: ${note.reason}` : ''}`;
  }
}

function readJson<T>(path: string, schema: z.ZodType<T>): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}
