/** Sessions, their messages, inbound de-duplication and the model usage ledger. */
export const sql = /* sql */ `
CREATE TABLE sessions (
  id               TEXT PRIMARY KEY,
  conversation_id  TEXT NOT NULL,
  platform         TEXT NOT NULL,
  user_id          TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('active', 'ended')),
  prefix           TEXT NOT NULL,
  model            TEXT,
  summary          TEXT,
  summary_through  INTEGER NOT NULL DEFAULT 0,
  started_at       INTEGER NOT NULL,
  last_active_at   INTEGER NOT NULL,
  ended_at         INTEGER,
  end_reason       TEXT
);
-- At most one live session per conversation; ended ones stay for memory and audits.
CREATE UNIQUE INDEX sessions_one_active ON sessions(conversation_id) WHERE status = 'active';
CREATE INDEX sessions_by_activity ON sessions(status, last_active_at);

CREATE TABLE messages (
  session_id    TEXT NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
  seq           INTEGER NOT NULL,
  role          TEXT NOT NULL CHECK (role IN ('user', 'assistant', 'tool')),
  content       TEXT,
  tool_calls    TEXT,
  tool_call_id  TEXT,
  name          TEXT,
  user_id       TEXT,
  tokens        INTEGER NOT NULL,
  created_at    INTEGER NOT NULL,
  PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

CREATE TABLE inbound_seen (
  platform    TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  seen_at     INTEGER NOT NULL,
  PRIMARY KEY (platform, message_id)
) WITHOUT ROWID;
CREATE INDEX inbound_seen_by_time ON inbound_seen(seen_at);

CREATE TABLE model_calls (
  id                 INTEGER PRIMARY KEY,
  at                 INTEGER NOT NULL,
  session_id         TEXT,
  purpose            TEXT NOT NULL,
  provider           TEXT NOT NULL,
  model              TEXT NOT NULL,
  attempt            INTEGER NOT NULL,
  ok                 INTEGER NOT NULL,
  error_code         TEXT,
  prompt_tokens      INTEGER NOT NULL,
  completion_tokens  INTEGER NOT NULL,
  cached_tokens      INTEGER NOT NULL,
  cost_usd           REAL,
  duration_ms        INTEGER NOT NULL
);
CREATE INDEX model_calls_by_time ON model_calls(at);
CREATE INDEX model_calls_by_session ON model_calls(session_id);
`;
