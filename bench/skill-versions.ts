/**
 * Pruning skill versions' texts at scale (skills/version-pruning.ts): S skills (default 300) with V versions each
 * (default 50) of K KB (default 10) over a year, as a learning loop refining skills weekly leaves them; one skill in
 * ten rolled back once, some versions viewed lately. Measures:
 *   - the database before and after, and what the texts take;
 *   - reading what the policy decides on (each skill's numbers, actions, hashes, times) through migration 041's index
 *     against the table itself (the hash follows the 10 KB text in the row: SQLite walks its overflow pages);
 *   - `plan()` (`--dry-run`, doctor) and the daily sweep's pruning, with the longest the event loop was blocked
 *     meanwhile (every chat waits that long) and the longest batch;
 *   - a batch run's copy of the history (rl/skill-history.ts) before and after.
 * `CAIRN_BENCH_SKILLS=1000`, `CAIRN_BENCH_SKILL_VERSIONS=100`, `CAIRN_BENCH_SKILL_KB=20` change the sizes.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { databasePath, openDatabase, type Db } from '../src/store/db.js';
import { pruningPolicy, SkillVersionPruner, PRUNE_BATCH } from '../src/skills/version-pruning.js';
import { HistoryRetention } from '../src/store/history-retention.js';
import { copySkillHistory } from '../src/rl/skill-history.js';
import { ManualClock } from '../src/core/clock.js';
import { hashText } from '../src/skills/format.js';

const DAY = 86_400_000;
const START = Date.UTC(2026, 0, 1);

export async function skillVersionsBenchmark() {
  const skills = Number(process.env.CAIRN_BENCH_SKILLS ?? 300);
  const versions = Number(process.env.CAIRN_BENCH_SKILL_VERSIONS ?? 50);
  const kb = Number(process.env.CAIRN_BENCH_SKILL_KB ?? 10);
  const dir = mkdtempSync(join(tmpdir(), 'cairn-bench-skill-versions-'));
  try {
    const db = openDatabase(databasePath(dir));
    const fillMs = time(() => fill(db, skills, versions, kb));
    const now = START + 365 * DAY;
    const before = { fileBytes: fileBytes(dir), textBytes: textBytes(db) };
    const readThroughIndex = time(() => db.prepare('SELECT id, version, action, hash, created_at, text_pruned_at FROM skill_versions INDEXED BY skill_versions_for_pruning').all());
    const readThroughTable = time(() => db.prepare('SELECT id, version, action, hash, created_at, text_pruned_at FROM skill_versions NOT INDEXED').all());
    const copyBefore = copyMs(dir);
    let planned: ReturnType<SkillVersionPruner['plan']> | undefined;
    const planMs = time(() => (planned = new SkillVersionPruner(db, pruningPolicy(now, 90)).plan()));

    // The sweep as `cairn start` runs it (CAIRN_KEEP_HISTORY_DAYS=90; nothing else to sweep here), batches timed.
    const batches: number[] = [];
    let last = performance.now();
    const pause = () =>
      new Promise<void>((resolve) =>
        setImmediate(() => {
          batches.push(performance.now() - last);
          resolve();
          last = performance.now();
        }),
      );
    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const sweepStart = performance.now();
    const swept = await new HistoryRetention({ db, clock: new ManualClock(now), keepDays: 90, pause }).sweep();
    const sweepMs = performance.now() - sweepStart;
    loop.disable();
    const after = { fileBytes: fileBytes(dir), textBytes: textBytes(db) };
    db.close();
    return {
      name: 'skill-versions',
      skills,
      versionsPerSkill: versions,
      kbPerVersion: kb,
      fillMs: round(fillMs),
      before: { fileMb: mb(before.fileBytes), textMb: mb(before.textBytes) },
      decideRead: { throughIndexMs: round(readThroughIndex), throughTableMs: round(readThroughTable) },
      indexKb: Math.round(indexBytes(dir) / 1000),
      plan: { ms: round(planMs), ...planned, mb: mb(planned?.bytes ?? 0) },
      sweep: {
        ms: round(sweepMs),
        texts: swept.skillTexts,
        mb: mb(swept.skillTextBytes),
        batchRows: PRUNE_BATCH,
        batches: batches.length,
        longestBatchMs: round(Math.max(0, ...batches)),
        longestEventLoopBlockMs: round(loop.max / 1e6),
      },
      after: { fileMb: mb(after.fileBytes), textMb: mb(after.textBytes) },
      batchRunCopyMs: { before: round(copyBefore), after: round(copyMs(dir)) },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Each skill: a create a year ago, then a patch every 365/versions days; one in ten rolled back midway; the tenth version viewed lately. */
function fill(db: Db, skills: number, versions: number, kb: number): void {
  const insert = db.prepare(
    "INSERT INTO skill_versions (name, version, action, author, reason, text, hash, source, session_id, created_at) VALUES (?, ?, ?, 'agent', 'learned', ?, ?, 'learned', NULL, ?)",
  );
  const rollback = db.prepare('INSERT INTO skill_rollbacks (skill, from_version, to_version, reason, created_at) VALUES (?, ?, ?, ?, ?)');
  const use = db.prepare("INSERT INTO skill_uses (session_id, turn, name, version, viewed_at, outcome) VALUES (?, 1, ?, ?, ?, 'success')");
  const filler = 'A line of the procedure that the learning loop refined over the weeks.\n'.repeat(Math.ceil((kb * 1000) / 72));
  const step = (365 * DAY) / versions;
  db.transaction(() => {
    for (let s = 0; s < skills; s++) {
      const name = `skill-${String(s).padStart(4, '0')}`;
      const texts: string[] = [];
      for (let v = 1; v <= versions; v++) {
        const rolledBack = s % 10 === 0 && v === Math.floor(versions / 2) + 1;
        const text = rolledBack ? (texts[v - 3] as string) : `---\nname: ${name}\ndescription: "Version ${v}."\n---\n\n${filler.slice(0, kb * 1000)}`;
        texts.push(text);
        insert.run(name, v, v === 1 ? 'create' : rolledBack ? 'rollback' : 'patch', text, hashText(text), START + (v - 1) * step);
        if (rolledBack) rollback.run(name, v - 1, v - 2, 'did worse', START + (v - 1) * step);
      }
      use.run(`recent-${s}`, name, Math.min(10, versions), START + 350 * DAY);
    }
  }).immediate();
}

function copyMs(dataDir: string): number {
  const out = mkdtempSync(join(tmpdir(), 'cairn-bench-batch-'));
  try {
    const scratch = openDatabase(join(out, 'cairn.db'));
    const ms = time(() => copySkillHistory(scratch, join(out, 'cairn.db'), dataDir));
    scratch.close();
    return ms;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

function textBytes(db: Db): number {
  return db.prepare<[], number>('SELECT SUM(octet_length(text)) FROM skill_versions').pluck().get() ?? 0;
}

function indexBytes(dataDir: string): number {
  const db = openDatabase(databasePath(dataDir), { readonly: true });
  try {
    return db.prepare<[], number>("SELECT SUM(pgsize) FROM dbstat WHERE name = 'skill_versions_for_pruning'").pluck().get() ?? 0;
  } finally {
    db.close();
  }
}

function fileBytes(dataDir: string): number {
  const path = databasePath(dataDir);
  return [path, `${path}-wal`].reduce((sum, file) => {
    try {
      return sum + statSync(file).size;
    } catch {
      return sum;
    }
  }, 0);
}

function time(work: () => unknown): number {
  const start = performance.now();
  work();
  return performance.now() - start;
}

const round = (ms: number) => Math.round(ms * 10) / 10;
const mb = (bytes: number) => Math.round(bytes / 1e5) / 10;
