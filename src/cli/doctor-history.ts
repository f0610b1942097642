/**
 * `cairn doctor`'s line on CAIRN_KEEP_HISTORY_DAYS (store/history-retention.ts): the setting, and how much
 * history is older than it, which the running `cairn start` deletes at its next daily sweep (a database
 * from before this version holds a year of it on the first one). Read-only counts; a missing database says nothing.
 * Then the skill versions' line (doctor-skill-versions.ts).
 */
import { existsSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { DAY_MS, startOfUtcDay } from '../core/clock.js';
import { count } from '../core/text.js';
import { databasePath, openDatabase } from '../store/db.js';
import type { CheckResult } from './doctor.js';
import { checkSkillVersions } from './doctor-skill-versions.js';

export function checkHistory(config: Config, now = Date.now()): CheckResult[] {
  return [...historySetting(config, now), ...checkSkillVersions(config, now)];
}

function historySetting(config: Config, now: number): CheckResult[] {
  const days = config.agent.keepHistoryDays;
  if (days === undefined) return [{ name: 'history', ok: true, detail: 'kept forever (CAIRN_KEEP_HISTORY_DAYS unset): conversations, task steps and single model calls stay; set it to a number of days to delete older ones daily' }];
  const path = databasePath(config.dataDir);
  const setting = `older than ${days} days deleted daily by \`cairn start\` (CAIRN_KEEP_HISTORY_DAYS): messages of ended conversations, task steps, audit report files, old skill versions' texts; usage summed per day`;
  if (!existsSync(path)) return [{ name: 'history', ok: true, detail: setting }];
  try {
    const db = openDatabase(path, { readonly: true });
    try {
      const cutoff = now - days * DAY_MS;
      const sessions = db
        .prepare<[number], { sessions: number; waiting: number }>(
          `SELECT COUNT(*) AS sessions, COUNT(CASE WHEN notes_state IN ('pending', 'failed') THEN 1 END) AS waiting FROM sessions INDEXED BY sessions_ended_with_messages
           WHERE status = 'ended' AND messages_dropped_at IS NULL AND ended_at < ? AND EXISTS (SELECT 1 FROM messages WHERE session_id = sessions.id)`,
        )
        .get(cutoff);
      const tasks = db.prepare<[number], number>("SELECT COUNT(*) FROM tasks WHERE created_at < ? AND trajectory <> '[]'").pluck().get(cutoff) ?? 0;
      const calls = db.prepare<[number], number>('SELECT COUNT(*) FROM model_calls WHERE at < ?').pluck().get(startOfUtcDay(cutoff)) ?? 0;
      const incremental = db.prepare<[], number>('PRAGMA auto_vacuum').pluck().get() === 2;
      const older = `older than that now: ${count(sessions?.sessions ?? 0)} conversations' messages${sessions?.waiting ? ` (${count(sessions.waiting)} kept until their notes are extracted)` : ''}, ${count(tasks)} tasks' steps, ${count(calls)} model calls`;
      const space = incremental ? 'the database gives the space back to the disk after each sweep' : 'the freed space is reused by the database; `cairn vacuum` (with `cairn start` stopped) gives it back to the disk';
      return [{ name: 'history', ok: true, detail: `${setting}; ${older}; ${space}` }];
    } finally {
      db.close();
    }
  } catch {
    return [{ name: 'history', ok: true, detail: setting }]; // The database check says what is wrong.
  }
}
