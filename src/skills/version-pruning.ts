/**
 * Pruning old skill versions' texts. Every change to a skill is a version holding the full SKILL.md
 * (versions.ts), so a year of a learning loop patching skills weekly is some 150 MB for 300 skills, read
 * again by every backup and copied into every batch run. What the loop and people need of the old texts is
 * small, and kept; the rest's text is emptied (migration 041), its row stays:
 *
 *   - each skill's newest `keepNewest` versions (10). The automatic rollback compares the newest version, a
 *     patch, with the one before it and writes that one's text back; an archive is restored from the version
 *     before it. Both are the newest two. Ten is some two months of a skill refined weekly to go back to by hand;
 *     a skill patched daily keeps more through the days below.
 *   - every version made since `cutoff` (90 days by default, CAIRN_KEEP_HISTORY_DAYS when set), or viewed since:
 *     what recent tasks used, for whoever looks into a failure, and time for a person to notice a bad change.
 *   - the first version (the skill as it was written or imported).
 *   - every rollback's text (a version someone went back to: known to be good), and the versions named by
 *     the automatic rollbacks' record.
 *   - the version a waiting proposal was written against (whoever decides on it may want to go back to it).
 *
 * A pruned version whose text another kept version of the skill has (a rollback's target, an archive's
 * predecessor) loses nothing: `SkillVersions.get` finds the text there. Rows are never deleted: the history
 * lists every version, audits and tasks name them, and `skill_uses` points at them.
 *
 * Only this database: on a learned folder shared with another Cairn, each keeps its own history of the same
 * skills, and the folder itself (the skills, `.archive/`, `.cairn/`) is never touched here.
 */
import type { Db } from '../store/db.js';
import { DAY_MS } from '../core/clock.js';

/** Each skill's newest versions whose text is always kept: the rollback's two and some weeks to go back to. */
export const KEEP_NEWEST_VERSIONS = 10;
/** Days of versions kept whole when CAIRN_KEEP_HISTORY_DAYS is not set (`cairn skills prune`). */
export const KEEP_VERSION_DAYS = 90;
/** The automatic rollback needs the newest two. */
export const MIN_KEEP_NEWEST = 2;
/** Texts one transaction empties: ~1 MB of 10 KB skills, a few ms of the write lock (`npm run bench skill-versions`). */
export const PRUNE_BATCH = 100;

export interface PruningPolicy {
  keepNewest: number;
  /** Versions made or viewed at or after this time keep their text. */
  cutoff: number;
}

export interface PruneResult {
  /** Versions whose text was (or would be) emptied. */
  versions: number;
  /** Skills that had any. */
  skills: number;
  /** Bytes of text emptied. */
  bytes: number;
  /** Of `versions`, those whose text no kept version of the skill has: gone for good. */
  lost: number;
}

/** The policy for `days` of versions kept whole (CAIRN_KEEP_HISTORY_DAYS, or the default). */
export function pruningPolicy(now: number, days = KEEP_VERSION_DAYS, keepNewest = KEEP_NEWEST_VERSIONS): PruningPolicy {
  return { keepNewest, cutoff: now - days * DAY_MS };
}

interface VersionRow {
  id: number;
  version: number;
  action: string;
  hash: string;
  created_at: number;
  text_pruned_at: number | null;
}

interface Candidate {
  id: number;
  lost: boolean;
}

export class SkillVersionPruner {
  private readonly s;

  constructor(
    private readonly db: Db,
    private readonly policy: PruningPolicy,
  ) {
    this.s = {
      // Through migration 041's index: names in order, each one's rows without their texts.
      names: db.prepare<[string, number], string>('SELECT name FROM skill_versions INDEXED BY skill_versions_for_pruning WHERE name > ? GROUP BY name ORDER BY name LIMIT ?').pluck(),
      rows: db.prepare<[string], VersionRow>(
        'SELECT id, version, action, hash, created_at, text_pruned_at FROM skill_versions INDEXED BY skill_versions_for_pruning WHERE name = ? ORDER BY version',
      ),
      rolledBackTo: db.prepare<[string], number>('SELECT to_version FROM skill_rollbacks WHERE skill = ?').pluck(),
      proposed: db.prepare<[string], number>("SELECT base_version FROM skill_proposals WHERE skill = ? AND status = 'pending' AND base_version IS NOT NULL").pluck(),
      viewedSince: db.prepare<[string, number, number], number>('SELECT 1 FROM skill_uses WHERE name = ? AND version = ? AND viewed_at >= ? LIMIT 1').pluck(),
      // Bytes, not characters: no decoding of the text.
      bytes: db.prepare<[number], number>('SELECT octet_length(text) FROM skill_versions WHERE id = ?').pluck(),
      prune: db.prepare<[number, number]>("UPDATE skill_versions SET text = '', text_pruned_at = ? WHERE id = ? AND text_pruned_at IS NULL"),
    };
  }

  /** What `prune` would do now, writing nothing (`--dry-run`, doctor). */
  plan(): PruneResult {
    const result = emptyResult();
    let after = '';
    for (;;) {
      const names = this.s.names.all(after, 200);
      for (const name of names) this.add(result, this.candidates(name));
      const last = names.at(-1);
      if (last === undefined) return result;
      after = last;
    }
  }

  /**
   * Empties up to `limit` texts in one short transaction, from the skill after `after` (by name) on. Returns what it
   * did and where to go on from; `next` undefined: every skill was looked at. Decided inside the transaction, so a
   * version a rollback or proposal comes to need meanwhile is seen.
   */
  pruneBatch(after: string, limit: number, now: number): { result: PruneResult; next: string | undefined } {
    return this.db
      .transaction(() => {
        const result = emptyResult();
        // The last skill done whole: a skill cut short by the limit is begun again by the next batch.
        let done = after;
        for (;;) {
          const names = this.s.names.all(done, 50);
          if (names.length === 0) return { result, next: undefined };
          for (const name of names) {
            const candidates = this.candidates(name);
            const taken = candidates.slice(0, limit - result.versions);
            // A skill split over batches is counted by the batch that finishes it.
            this.add(result, taken, taken.length === candidates.length);
            for (const candidate of taken) this.s.prune.run(now, candidate.id);
            if (taken.length < candidates.length) return { result, next: done };
            done = name;
            if (result.versions >= limit) return { result, next: done };
          }
        }
      })
      .immediate();
  }

  /** Prunes everything the policy lets go, batch by batch, with `between` (a turn of the event loop) after each; false from it stops. */
  async pruneAll(now: number, between: () => Promise<boolean>, limit = PRUNE_BATCH): Promise<PruneResult> {
    const total = emptyResult();
    let after: string | undefined = '';
    while (after !== undefined) {
      const { result, next } = this.pruneBatch(after, limit, now);
      merge(total, result);
      after = next;
      if (result.versions > 0 && !(await between())) break;
    }
    return total;
  }

  /** The versions of `name` whose text the policy lets go, oldest first. */
  private candidates(name: string): Candidate[] {
    const rows = this.s.rows.all(name);
    if (rows.length <= this.policy.keepNewest) return [];
    const { cutoff } = this.policy;
    const named = new Set([...this.s.rolledBackTo.all(name), ...this.s.proposed.all(name)]);
    const newest = new Set(rows.slice(-this.policy.keepNewest).map((row) => row.version));
    const first = rows[0]?.version;
    const keep = (row: VersionRow) =>
      newest.has(row.version) || row.version === first || row.created_at >= cutoff || row.action === 'rollback' || named.has(row.version) || this.s.viewedSince.get(name, row.version, cutoff) !== undefined;
    const whole = rows.filter((row) => row.text_pruned_at === null);
    const kept = new Set(whole.filter(keep));
    const keptHashes = new Set([...kept].map((row) => row.hash));
    return whole.filter((row) => !kept.has(row)).map((row) => ({ id: row.id, lost: !keptHashes.has(row.hash) }));
  }

  private add(result: PruneResult, candidates: readonly Candidate[], countSkill = true): void {
    if (candidates.length === 0) return;
    result.versions += candidates.length;
    if (countSkill) result.skills += 1;
    result.lost += candidates.filter((candidate) => candidate.lost).length;
    for (const candidate of candidates) result.bytes += this.s.bytes.get(candidate.id) ?? 0;
  }
}

function emptyResult(): PruneResult {
  return { versions: 0, skills: 0, bytes: 0, lost: 0 };
}

function merge(into: PruneResult, more: PruneResult): void {
  into.versions += more.versions;
  into.skills += more.skills;
  into.bytes += more.bytes;
  into.lost += more.lost;
}

/** Why a rollback to `target` cannot be: its text was pruned; which versions it can go back to instead. */
export function prunedMessage(what: string, target: { version: number; textPrunedAt?: number | undefined }, history: readonly { version: number; text: string | undefined }[]): string {
  const when = target.textPrunedAt === undefined ? '' : ` on ${new Date(target.textPrunedAt).toISOString().slice(0, 10)}`;
  const whole = history.filter((v) => v.text !== undefined).map((v) => v.version);
  return (
    `${what}: its text was pruned${when} to save space (Cairn keeps the texts of each skill's newest ${KEEP_NEWEST_VERSIONS} versions, its first, ` +
    `those of the last days kept, and those rolled back to). Versions whose text is kept: ${versionRanges(whole)}; \`cairn skills history\` marks the others "text pruned".`
  );
}

/** "1, 12–21, 30": version numbers, runs shortened. */
export function versionRanges(versions: readonly number[]): string {
  const runs: string[] = [];
  let start: number | undefined;
  let previous: number | undefined;
  const close = () => {
    if (start !== undefined && previous !== undefined) runs.push(start === previous ? `${start}` : `${start}–${previous}`);
  };
  for (const version of [...versions].sort((a, b) => a - b)) {
    if (previous !== undefined && version === previous + 1) {
      previous = version;
      continue;
    }
    close();
    start = previous = version;
  }
  close();
  return runs.join(', ') || 'none';
}
