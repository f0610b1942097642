/**
 * Past audit reports quote one failed task's request for each failure mode (`e.g. "…"`,
 * audit-stats.ts). When the person who asked it uses `/forget`, the quote goes from every report
 * kept, in the database (`cairn audit show`) and in its file under data/audits; the counts stay.
 * What was posted to the admin channel is only a summary, without quotes.
 */
import { existsSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import type { Db } from '../store/db.js';
import { writeFileAtomic } from '../store/atomic-write.js';
import { exampleOf, FAILURE_EXAMPLE_CHARS, failureExample } from './audit-report.js';
import { headOf } from '../core/text.js';

/** Removes the quotes of these requests (of tasks whose words were just forgotten) from past audit reports; how many reports changed. */
export function forgetAuditQuotes(db: Db, requests: readonly string[], auditsDir: string): number {
  if (requests.length === 0) return 0;
  // As quoted now (credentials masked), and as reports written before masking quoted it.
  const examples = [...new Set(requests.flatMap((request) => [exampleOf(request), headOf(request, FAILURE_EXAMPLE_CHARS)]))].filter((example) => example !== '');
  const rows = db.prepare<[], { id: number; report: string; stats: string | null; report_path: string | null }>('SELECT id, report, stats, report_path FROM audits WHERE report IS NOT NULL').all();
  const update = db.prepare<[string, string | null, number]>('UPDATE audits SET report = ?, stats = ? WHERE id = ?');
  const unquote = (text: string) => examples.reduce((rest, example) => rest.replaceAll(failureExample(example), ''), text);
  // The stats were written with JSON.stringify: an example reads exactly so there.
  const unquoteStats = (stats: string) => examples.reduce((rest, example) => rest.replaceAll(`"example":${JSON.stringify(example)}`, '"example":""'), stats);
  let changed = 0;
  for (const row of rows) {
    const report = unquote(row.report);
    const stats = row.stats === null ? null : unquoteStats(row.stats);
    if (report === row.report && stats === row.stats) continue;
    update.run(report, stats, row.id);
    changed++;
    // Where the file is now (a data folder restored elsewhere holds it there, as audits.ts reads it).
    const path = row.report_path === null ? undefined : join(auditsDir, basename(row.report_path));
    if (path === undefined || !existsSync(path)) continue;
    const file = readFileSync(path, 'utf8');
    const rewritten = unquote(file);
    if (rewritten !== file) writeFileAtomic(path, rewritten);
  }
  return changed;
}
