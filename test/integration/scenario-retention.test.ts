/**
 * An operator who wants history kept for a limited time sets CAIRN_KEEP_HISTORY_DAYS=30 on a team's Cairn
 * that has run for months. Once at the start of `cairn start` and then daily, the sweep deletes the messages
 * of conversations that ended more than 30 days ago (the session row and its summary stay; a session whose
 * notes are not extracted yet keeps them), empties old tasks' trajectories (outcomes and what audits count
 * stay), sums old model calls into days (`cairn usage`, allowances and `/usage` give the same totals), and
 * prunes old audit report files. `cairn export --live` counts the tasks whose steps went instead of
 * exporting them empty. All on the real SQLite with an injected clock.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { DAY_MS, ManualClock } from '../../src/core/clock.js';
import { UsageLedger } from '../../src/core/usage-ledger.js';
import { loadConfig } from '../../src/config/load.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { databasePath, openDatabase, type Db } from '../../src/store/db.js';
import { HistoryRetention } from '../../src/store/history-retention.js';
import { recordsFromLiveTasks } from '../../src/rl/export/live-tasks.js';
import { checkHistory } from '../../src/cli/doctor-history.js';
import { tempDir } from '../helpers/cairn.js';

const START = Date.UTC(2026, 0, 1, 9);
const open: Db[] = [];
afterEach(() => {
  for (const db of open.splice(0)) db.close();
});

function database(): { db: Db; dataDir: string } {
  const dataDir = tempDir();
  const db = openDatabase(databasePath(dataDir));
  open.push(db);
  return { db, dataDir };
}

/** One conversation on `day` (days after START): a session with `messages` messages, ended unless told otherwise. */
function conversation(db: Db, id: string, day: number, messages: number, notesState: 'done' | 'pending' | 'failed' | null = 'done', status: 'ended' | 'active' = 'ended') {
  const at = START + day * DAY_MS;
  db.prepare(
    `INSERT INTO sessions (id, conversation_id, platform, user_id, status, prefix, summary, started_at, last_active_at, ended_at, end_reason, notes_state)
     VALUES (?, ?, 'telegram', 'telegram:1', ?, 'prefix', 'what was said', ?, ?, ?, 'idle', ?)`,
  ).run(id, `telegram:${id}`, status, at, at, status === 'ended' ? at + 60_000 : null, notesState);
  const insert = db.prepare("INSERT INTO messages (session_id, seq, role, content, user_id, tokens, created_at) VALUES (?, ?, 'user', ?, 'telegram:1', 10, ?)");
  for (let seq = 1; seq <= messages; seq++) insert.run(id, seq, `message ${seq}`, at);
}

function task(db: Db, day: number, outcome: 'success' | 'failure' = 'success'): number {
  const at = START + day * DAY_MS;
  return Number(
    db
      .prepare(
        `INSERT INTO tasks (session_id, conversation_id, platform, user_id, request, reply, trajectory, tool_calls, tool_errors, errors, skills_used, stop_reason, prompt_tokens, completion_tokens, cached_tokens, duration_ms, outcome, outcome_source, created_at)
         VALUES ('s', 'telegram:1', 'telegram', 'telegram:1', 'deploy it', 'done', ?, 1, 0, '[]', '[]', 'answered', 100, 20, 0, 1000, ?, 'tools', ?)`,
      )
      .run(JSON.stringify([{ role: 'user', content: 'deploy it' }, { role: 'assistant', content: 'done' }]), outcome, at).lastInsertRowid,
  );
}

/** Calls over `days` days for three people and background work, priced and not, ok and failed. */
function calls(db: Db, clock: ManualClock, days: number) {
  const ledger = new UsageLedger(db, () => clock.now());
  for (let day = 0; day < days; day++) {
    for (const [i, userKey] of ['telegram:1', 'slack:T1:U2', 'discord:3', undefined].entries()) {
      clock.set(START + day * DAY_MS + i * 3_600_000);
      for (const purpose of ['chat', 'summary', 'reflection'] as const) {
        ledger.record({ sessionId: undefined, errorCode: (day + i) % 5 !== 0 ? undefined : 'server', purpose, provider: 'openai', model: day % 2 ? 'gpt-a' : 'gpt-b', attempt: 1, ok: (day + i) % 5 !== 0, usage: { promptTokens: 100 + day, completionTokens: 10 + i, cachedTokens: day % 3 }, costUsd: day % 4 === 0 ? undefined : 0.001 * (i + 1), durationMs: 50, ...(userKey ? { userKey } : {}) });
      }
    }
  }
  return ledger;
}

/** Everything the usage readers say, for days back from `now` (as `cairn usage --days` asks). */
function usageSeen(ledger: UsageLedger, now: number) {
  const midnight = Math.floor(now / DAY_MS) * DAY_MS;
  return [1, 7, 45, 400].map((days) => {
    const since = midnight - (days - 1) * DAY_MS;
    return {
      days,
      totals: ledger.totals(since),
      people: ledger.byPerson(since),
      carried: [...ledger.carriedByAccount(since)],
      mine: ledger.userTotals('telegram:1', since),
      account: ledger.userTotals('telegram:9', since),
    };
  });
}

const noPause = () => Promise.resolve();

describe('history kept for 30 days', () => {
  it('CAIRN_KEEP_HISTORY_DAYS is unset by default (kept forever) and a bad value says what to write', () => {
    const cwd = tempDir();
    expect(loadConfig({ env: {}, cwd, dotenv: false }).agent.keepHistoryDays).toBeUndefined();
    expect(loadConfig({ env: { CAIRN_KEEP_HISTORY_DAYS: '90' }, cwd, dotenv: false }).agent.keepHistoryDays).toBe(90);
    expect(() => loadConfig({ env: { CAIRN_KEEP_HISTORY_DAYS: '0' }, cwd, dotenv: false })).toThrow(/CAIRN_KEEP_HISTORY_DAYS: at least 1 day \(unset CAIRN_KEEP_HISTORY_DAYS to keep history forever\)/);
    expect(() => loadConfig({ env: { CAIRN_KEEP_HISTORY_DAYS: 'ninety' }, cwd, dotenv: false })).toThrow(/CAIRN_KEEP_HISTORY_DAYS: expected a duration in days/);
    expect(() => loadConfig({ env: { CAIRN_KEEP_HISTORY_DAYS: '1.5' }, cwd, dotenv: false })).toThrow(/a whole number of days/);
  });

  it("old ended conversations lose their messages, in batches; the rows and summaries stay, and so do those whose notes are not extracted", async () => {
    const { db } = database();
    conversation(db, 'old-done', 0, 1_200);
    conversation(db, 'old-never-queued', 1, 3, null);
    conversation(db, 'old-pending', 2, 5, 'pending');
    conversation(db, 'old-failed', 3, 5, 'failed');
    conversation(db, 'old-active', 4, 5, 'done', 'active');
    conversation(db, 'recent', 80, 7);
    const clock = new ManualClock(START + 100 * DAY_MS);
    let pauses = 0;
    const retention = new HistoryRetention({ db, clock, keepDays: 30, pause: () => (pauses++, Promise.resolve()) });
    const swept = await retention.sweep();
    expect(swept).toMatchObject({ sessions: 2, messages: 1_203 });
    // 500 rows a transaction: three batches of messages, then the empty read that ends them.
    expect(pauses).toBeGreaterThanOrEqual(3);
    const left = db.prepare('SELECT session_id, COUNT(*) AS n FROM messages GROUP BY session_id ORDER BY session_id').all();
    expect(left).toEqual([
      { session_id: 'old-active', n: 5 },
      { session_id: 'old-failed', n: 5 },
      { session_id: 'old-pending', n: 5 },
      { session_id: 'recent', n: 7 },
    ]);
    expect(db.prepare('SELECT COUNT(*) FROM sessions WHERE summary IS NOT NULL').pluck().get()).toBe(6);
    // Once the pending one is extracted, the next day's sweep takes its messages too.
    db.prepare("UPDATE sessions SET notes_state = 'done' WHERE id = 'old-pending'").run();
    clock.advance(DAY_MS);
    expect(await retention.sweep()).toMatchObject({ sessions: 1, messages: 5 });
  });

  it('old tasks lose their trajectories, as /forget scrubs them; outcomes and audit tallies stay the same', async () => {
    const { db } = database();
    const ids = Array.from({ length: 1_100 }, (_, i) => task(db, i % 90, i % 3 ? 'success' : 'failure'));
    const tasks = new TaskStore(db);
    const talliesBefore = tasks.talliesSince(0);
    const clock = new ManualClock(START + 100 * DAY_MS);
    const swept = await new HistoryRetention({ db, clock, keepDays: 30, pause: noPause }).sweep();
    const old = ids.filter((_, i) => i % 90 < 70);
    expect(swept.trajectories).toBe(old.length);
    expect(tasks.get(old[0] as number)?.trajectory).toEqual([]);
    expect(tasks.get(old[0] as number)).toMatchObject({ request: 'deploy it', reply: 'done', outcome: 'failure' });
    expect(tasks.get(ids[89] as number)?.trajectory).toHaveLength(2);
    expect(tasks.talliesSince(0)).toEqual(talliesBefore);
  });

  it('`cairn export --live` counts the tasks whose steps went as expired, never exporting them empty', async () => {
    const { db } = database();
    task(db, 0);
    task(db, 90);
    await new HistoryRetention({ db, clock: new ManualClock(START + 100 * DAY_MS), keepDays: 30, pause: noPause }).sweep();
    const records = [];
    for await (const record of recordsFromLiveTasks(db, { allowed: true, tools: [] })) records.push(record);
    expect(records.map((r) => ({ ok: r.ok, expired: r.expired ?? false, messages: r.messages.length }))).toEqual([
      { ok: false, expired: true, messages: 0 },
      { ok: true, expired: false, messages: 3 },
    ]);
  });

  it('old model calls are summed per day: cairn usage, allowances and /usage give the same totals as before', async () => {
    const { db } = database();
    const clock = new ManualClock(START);
    const ledger = calls(db, clock, 120);
    // An account that left a person on day 100 carries the person's calls of that day (`/unlink`).
    ledger.carry('telegram:1', 'telegram:9', START + 100 * DAY_MS - (START % DAY_MS));
    db.prepare('INSERT INTO usage_carried_calls (user_key, call_id) SELECT ?, id FROM model_calls WHERE user_key = ? AND at < ? LIMIT 7').run('telegram:9', 'telegram:1', START + 10 * DAY_MS);
    clock.set(START + 121 * DAY_MS);
    const before = usageSeen(ledger, clock.now());
    const callsBefore = db.prepare('SELECT COUNT(*) FROM model_calls').pluck().get() as number;
    const swept = await new HistoryRetention({ db, clock, keepDays: 30, pause: noPause }).sweep();
    expect(swept.calls).toBeGreaterThan(1_000);
    expect(db.prepare('SELECT COUNT(*) FROM model_calls').pluck().get()).toBe(callsBefore - swept.calls);
    expect(db.prepare('SELECT MIN(at) FROM model_calls').pluck().get()).toBeGreaterThanOrEqual(Math.floor((clock.now() - 30 * DAY_MS) / DAY_MS) * DAY_MS);
    const after = usageSeen(ledger, clock.now());
    expect(after).toEqual(before);
    // A link after the sum moves the summed days too, as it moved the calls.
    ledger.reassign('discord:3', 'telegram:1');
    const linked = ledger.byPerson(0).find((row) => row.user === 'telegram:1');
    const discordBefore = before[3]?.people.find((row) => row.user === 'discord:3');
    const mineBefore = before[3]?.people.find((row) => row.user === 'telegram:1');
    expect(linked?.tokens).toBe((discordBefore?.tokens ?? 0) + (mineBefore?.tokens ?? 0));
  });

  it('`cairn doctor` says the setting, how much history is older than it, and how the space comes back', () => {
    const { dataDir, db } = database();
    conversation(db, 'old', 0, 4);
    conversation(db, 'old-pending', 1, 2, 'pending');
    task(db, 0);
    const cwd = tempDir();
    const now = START + 100 * DAY_MS;
    expect(checkHistory(loadConfig({ env: { CAIRN_DATA_DIR: dataDir }, cwd, dotenv: false }), now)[0]?.detail).toMatch(/^kept forever \(CAIRN_KEEP_HISTORY_DAYS unset\)/);
    const [line] = checkHistory(loadConfig({ env: { CAIRN_DATA_DIR: dataDir, CAIRN_KEEP_HISTORY_DAYS: '30' }, cwd, dotenv: false }), now);
    expect(line?.detail).toContain("older than that now: 2 conversations' messages (1 kept until their notes are extracted), 1 tasks' steps, 0 model calls");
    // A database made by this version gives the room back itself (incremental auto-vacuum: store/db.ts).
    expect(line?.detail).toMatch(/the database gives the space back to the disk after each sweep$/);
  });

  it('audit report files older than the kept days go; newer ones and other files stay', async () => {
    const { db, dataDir } = database();
    const audits = join(dataDir, 'audits');
    mkdirSync(audits);
    for (const name of ['audit-0001-2026-01-02.md', 'audit-0001-2026-01-02.svg', 'audit-0090-2026-04-01.md', 'audit-0090-2026-04-01.svg', 'notes.md']) writeFileSync(join(audits, name), 'x');
    const swept = await new HistoryRetention({ db, clock: new ManualClock(Date.UTC(2026, 3, 10)), keepDays: 30, auditsDir: audits, pause: noPause }).sweep();
    expect(swept.auditFiles).toBe(2);
    expect(['audit-0001-2026-01-02.md', 'audit-0090-2026-04-01.md', 'audit-0090-2026-04-01.svg', 'notes.md'].map((name) => existsSync(join(audits, name)))).toEqual([false, true, true, true]);
  });
});
