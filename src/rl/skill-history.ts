/**
 * A batch run or an Atropos environment keeps its sessions in a scratch database of its own
 * (`<out>/cairn.db`, `atropos.db`), but uses the configured skills (data/skills). Their version
 * history lives in the configured database: without it, the first `skill_view` recorded a learned
 * skill at version 3 there as a fresh import, version 1, so trajectories, summary.json and what
 * the model read ("version 1") named a version `cairn skills` never had. Copying that history into
 * the scratch database before the first task makes a run record the version Cairn knows.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { databasePath, openDatabase, type Db } from '../store/db.js';

const COLUMNS = 'name, version, action, author, reason, text, hash, source, session_id, created_at';
/** Migration 041's mark of a pruned text: copied with it, or the run would take a pruned version's empty text for its text. */
const PRUNED = 'text_pruned_at';

/**
 * Copies the skill versions of the data folder's database into `scratch` (those it has not got:
 * a resumed run's own rows stay); how many. Nothing when there is no such database yet, or when
 * `scratchPath` is that database itself.
 */
export function copySkillHistory(scratch: Db, scratchPath: string, dataDir: string): number {
  const live = databasePath(dataDir);
  if (resolve(live) === resolve(scratchPath) || !existsSync(live)) return 0;
  const source = openDatabase(live, { readonly: true });
  try {
    // A data folder whose database is older than this Cairn (not started since the upgrade) has no pruned texts yet.
    const marked = source.prepare<[string], string>("SELECT name FROM pragma_table_info('skill_versions') WHERE name = ?").pluck().get(PRUNED) !== undefined;
    const rows = source.prepare(`SELECT ${COLUMNS}, ${marked ? PRUNED : 'NULL'} AS ${PRUNED} FROM skill_versions ORDER BY name, version`).all();
    const insert = scratch.prepare(`INSERT OR IGNORE INTO skill_versions (${COLUMNS}, ${PRUNED}) VALUES (@name, @version, @action, @author, @reason, @text, @hash, @source, @session_id, @created_at, @${PRUNED})`);
    return scratch.transaction(() => rows.reduce<number>((copied, row) => copied + insert.run(row as Record<string, unknown>).changes, 0)).immediate();
  } finally {
    source.close();
  }
}
