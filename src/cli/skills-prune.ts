/**
 * `cairn skills prune [--dry-run]`: empties the texts of old skill versions nothing needs
 * (skills/version-pruning.ts says what is kept and why), in short transactions, safe beside a running
 * `cairn start`. A `cairn start` with CAIRN_KEEP_HISTORY_DAYS set does the same daily; this is for a Cairn
 * that keeps its history, or to see first what would go.
 */
import type { Command } from 'commander';
import type { Config } from '../config/load.js';
import { systemClock } from '../core/clock.js';
import { CairnError } from '../core/errors.js';
import { count } from '../core/text.js';
import type { Db } from '../store/db.js';
import { KEEP_NEWEST_VERSIONS, KEEP_VERSION_DAYS, MIN_KEEP_NEWEST, pruningPolicy, SkillVersionPruner, type PruneResult } from '../skills/version-pruning.js';
import { openDataDatabase, positiveInt } from './context.js';
import { sizeText } from './doctor-data-folder.js';

/** Pages one step of incremental vacuum gives back (4 MiB at SQLite's default page size), as the history sweep does. */
const VACUUM_PAGES = 1024;

export function skillsPruneCommand(group: Command, config: () => Config, print: (line: string) => void): void {
  group
    .command('prune')
    .description(`empty the texts of old skill versions nothing needs (each skill's newest ${KEEP_NEWEST_VERSIONS}, its first, recent ones and those rolled back to are kept)`)
    .option('--dry-run', 'say what would be pruned, prune nothing')
    .option('--keep <n>', `newest versions of each skill kept whole (default ${KEEP_NEWEST_VERSIONS}, at least ${MIN_KEEP_NEWEST})`)
    .option('--days <n>', `versions made or used in this many days are kept whole (default: CAIRN_KEEP_HISTORY_DAYS, or ${KEEP_VERSION_DAYS})`)
    .option('--json', 'print JSON')
    .action(async (options: { dryRun?: boolean; keep?: string; days?: string; json?: boolean }) => {
      const loaded = config();
      const keep = options.keep === undefined ? KEEP_NEWEST_VERSIONS : positiveInt(options.keep, '--keep');
      // The automatic rollback writes back the version before the newest patch: fewer than two would prune what it needs.
      if (keep < MIN_KEEP_NEWEST) throw new CairnError('invalid_input', `--keep must be at least ${MIN_KEEP_NEWEST}: an automatic rollback writes back the version before a skill's newest.`);
      const days = options.days === undefined ? (loaded.agent.keepHistoryDays ?? KEEP_VERSION_DAYS) : positiveInt(options.days, '--days');
      const now = systemClock.now();
      const db = openDataDatabase(loaded);
      try {
        const pruner = new SkillVersionPruner(db, pruningPolicy(now, days, keep));
        const result = options.dryRun ? pruner.plan() : await pruner.pruneAll(now, () => new Promise<boolean>((resolve) => setImmediate(() => resolve(true))));
        const space = options.dryRun || result.versions === 0 ? undefined : giveBackSpace(db);
        if (options.json) return print(JSON.stringify({ dryRun: options.dryRun === true, keepNewest: keep, days, ...result, ...(space ? { space } : {}) }, null, 2));
        print(describe(result, options.dryRun === true, keep, days));
        if (space === 'returned') print('The room went back to the disk.');
        if (space === 'reused') print('The database reuses the room; `cairn vacuum` (with `cairn start` stopped) gives it back to the disk.');
      } finally {
        db.close();
      }
    });
}

function describe(result: PruneResult, dryRun: boolean, keep: number, days: number): string {
  const kept = `Kept whole: each skill's newest ${keep} versions, its first, those made or used in the last ${days} days, every rollback's text, and the versions waiting proposals were written against.`;
  if (result.versions === 0) return `Nothing to prune. ${kept}`;
  const copies = result.versions - result.lost;
  const which = copies > 0 ? ` (${count(copies)} of them the same text as a kept version, which still holds it)` : '';
  const what = `the text of ${count(result.versions)} version${result.versions === 1 ? '' : 's'} of ${count(result.skills)} skill${result.skills === 1 ? '' : 's'}, ${sizeText(result.bytes)}${which}`;
  if (dryRun) return `Would prune ${what}. ${kept} Run without --dry-run to prune; \`cairn skills history <name>\` then marks them "text pruned".`;
  return `Pruned ${what}. ${kept} \`cairn skills history <name>\` marks them "text pruned".`;
}

/** A database with incremental auto-vacuum gives the room back now, a few MB a step; an older one keeps it for reuse. */
function giveBackSpace(db: Db): 'returned' | 'reused' {
  if (db.pragma('auto_vacuum', { simple: true }) !== 2) return 'reused';
  while ((db.pragma('freelist_count', { simple: true }) as number) > 0) db.pragma(`incremental_vacuum(${VACUUM_PAGES})`);
  return 'returned';
}
