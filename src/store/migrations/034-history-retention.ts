/**
 * Keeping history for a limited time (CAIRN_KEEP_HISTORY_DAYS, store/history-retention.ts).
 *
 * `model_calls_daily`: the usage ledger's calls older than the kept days, summed per UTC day, person,
 * purpose, provider and model. Every reader of the ledger (`cairn usage`, allowances, `/usage`, the
 * learning budget) asks from a UTC midnight on, so a day's sums give the same totals as its calls did.
 * `unpriced` counts the answered calls without a known cost (a sum with them is a floor); `cost_usd` is
 * NULL where none of the group's calls had a price, as SUM over the calls was.
 *
 * `sessions.messages_dropped_at`: when the sweep deleted an ended session's messages (the row and its
 * summary stay); the partial index holds only the ended sessions whose messages are still there, so a
 * daily sweep does not walk a year of sessions it already emptied.
 */
export const sql = /* sql */ `
CREATE TABLE model_calls_daily (
  day                INTEGER NOT NULL,
  user_key           TEXT,
  purpose            TEXT NOT NULL,
  provider           TEXT NOT NULL,
  model              TEXT NOT NULL,
  calls              INTEGER NOT NULL,
  prompt_tokens      INTEGER NOT NULL,
  completion_tokens  INTEGER NOT NULL,
  cached_tokens      INTEGER NOT NULL,
  cost_usd           REAL,
  unpriced           INTEGER NOT NULL
);
CREATE INDEX model_calls_daily_by_day ON model_calls_daily(day);
CREATE INDEX model_calls_daily_by_user ON model_calls_daily(user_key, day) WHERE user_key IS NOT NULL;

ALTER TABLE sessions ADD COLUMN messages_dropped_at INTEGER;
CREATE INDEX sessions_ended_with_messages ON sessions(ended_at) WHERE status = 'ended' AND messages_dropped_at IS NULL;
`;
