/**
 * `cairn doctor`'s line on skill versions' texts (skills/version-pruning.ts): how many versions, how much text they
 * hold, and how much of it the policy lets go: pruned daily by `cairn start` when CAIRN_KEEP_HISTORY_DAYS is set,
 * by `cairn skills prune` otherwise. Read-only; a missing database, or one without versions, says nothing.
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { count } from '../core/text.js';
import { databasePath, openDatabase } from '../store/db.js';
import { KEEP_NEWEST_VERSIONS, KEEP_VERSION_DAYS, pruningPolicy, SkillVersionPruner } from '../skills/version-pruning.js';
import { sizeText } from './doctor-data-folder.js';
import type { CheckResult } from './doctor.js';

export function checkSkillVersions(config: Config, now = Date.now()): CheckResult[] {
  const path = databasePath(config.dataDir);
  if (!existsSync(path)) return [];
  try {
    const db = openDatabase(path, { readonly: true });
    try {
      // A database of an older Cairn (not started since the upgrade) has no pruning yet: the line waits for it.
      const marked = db.prepare<[], string>("SELECT name FROM pragma_table_info('skill_versions') WHERE name = 'text_pruned_at'").pluck().get() !== undefined;
      if (!marked) return [];
      const totals = db
        .prepare<[], { versions: number; skills: number; bytes: number | null; pruned: number }>(
          'SELECT COUNT(*) AS versions, COUNT(DISTINCT name) AS skills, SUM(octet_length(text)) AS bytes, COUNT(text_pruned_at) AS pruned FROM skill_versions',
        )
        .get();
      if (!totals || totals.versions === 0) return [];
      const days = config.agent.keepHistoryDays;
      const would = new SkillVersionPruner(db, pruningPolicy(now, days ?? KEEP_VERSION_DAYS)).plan();
      const held = `${count(totals.versions)} version${totals.versions === 1 ? '' : 's'} of ${count(totals.skills)} skill${totals.skills === 1 ? '' : 's'} hold ${sizeText(totals.bytes ?? 0)} of text${totals.pruned > 0 ? ` (${count(totals.pruned)} pruned before)` : ''}`;
      const kept = `each skill's newest ${KEEP_NEWEST_VERSIONS}, its first, those of the last ${days ?? KEEP_VERSION_DAYS} days and rollbacks' are kept`;
      const prunable = would.versions === 0 ? 'nothing to prune' : `${count(would.versions)} of them (${sizeText(would.bytes)}) are past what is kept`;
      const how = days !== undefined ? 'pruned daily by `cairn start` (CAIRN_KEEP_HISTORY_DAYS)' : would.versions === 0 ? 'kept' : '`cairn skills prune` empties them (`--dry-run` first to see)';
      return [{ name: 'skill versions', ok: true, detail: `${held}; ${prunable} (${kept}); ${how}` }];
    } finally {
      db.close();
    }
  } catch {
    return []; // The database check says what is wrong.
  }
}
