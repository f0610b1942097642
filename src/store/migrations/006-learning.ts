/** The learning loop: tasks with outcomes and trajectories, reflections, skill proposals, audits. */
export const sql = /* sql */ `
CREATE TABLE tasks (
  id                INTEGER PRIMARY KEY,
  session_id        TEXT NOT NULL,
  conversation_id   TEXT NOT NULL,
  platform          TEXT NOT NULL,
  user_id           TEXT NOT NULL,
  request           TEXT NOT NULL,
  reply             TEXT NOT NULL,
  trajectory        TEXT NOT NULL,
  tool_calls        INTEGER NOT NULL,
  tool_errors       INTEGER NOT NULL,
  errors            TEXT NOT NULL,
  skills_used       TEXT NOT NULL,
  stop_reason       TEXT NOT NULL,
  model             TEXT,
  prompt_tokens     INTEGER NOT NULL,
  completion_tokens INTEGER NOT NULL,
  cached_tokens     INTEGER NOT NULL,
  duration_ms       INTEGER NOT NULL,
  outcome           TEXT NOT NULL CHECK (outcome IN ('success', 'failure', 'unknown')),
  outcome_source    TEXT NOT NULL CHECK (outcome_source IN ('tools', 'self', 'feedback', 'none')),
  self_assessment   TEXT,
  feedback          TEXT CHECK (feedback IN ('good', 'bad')),
  feedback_reason   TEXT,
  reflected         INTEGER NOT NULL DEFAULT 0,
  created_at        INTEGER NOT NULL
);
CREATE INDEX tasks_by_time ON tasks(created_at);
CREATE INDEX tasks_by_conversation ON tasks(conversation_id, id);

-- One row per (task, skill version used), so outcomes aggregate per version.
CREATE TABLE task_skills (
  task_id   INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  skill     TEXT NOT NULL,
  version   INTEGER NOT NULL,
  PRIMARY KEY (task_id, skill, version)
) WITHOUT ROWID;
CREATE INDEX task_skills_by_skill ON task_skills(skill, version);

CREATE TABLE reflections (
  id          INTEGER PRIMARY KEY,
  task_id     INTEGER NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
  body        TEXT NOT NULL,
  created_at  INTEGER NOT NULL
);

CREATE TABLE skill_proposals (
  id           INTEGER PRIMARY KEY,
  task_id      INTEGER REFERENCES tasks(id) ON DELETE SET NULL,
  action       TEXT NOT NULL CHECK (action IN ('create', 'patch')),
  skill        TEXT NOT NULL,
  payload      TEXT NOT NULL,
  reason       TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'rejected', 'failed')),
  detail       TEXT,
  created_at   INTEGER NOT NULL,
  decided_at   INTEGER
);

CREATE TABLE skill_rollbacks (
  id            INTEGER PRIMARY KEY,
  skill         TEXT NOT NULL,
  from_version  INTEGER NOT NULL,
  to_version    INTEGER NOT NULL,
  reason        TEXT NOT NULL,
  created_at    INTEGER NOT NULL
);

-- Skills an audit found unused; cleared when the skill is used again.
CREATE TABLE skill_stale (
  name        TEXT PRIMARY KEY,
  since       INTEGER NOT NULL,
  reason      TEXT NOT NULL
) WITHOUT ROWID;

CREATE TABLE audits (
  id           INTEGER PRIMARY KEY,
  trigger      TEXT NOT NULL,
  status       TEXT NOT NULL CHECK (status IN ('running', 'done', 'failed')),
  started_at   INTEGER NOT NULL,
  finished_at  INTEGER,
  task_count   INTEGER NOT NULL DEFAULT 0,
  stats        TEXT,
  report       TEXT,
  report_path  TEXT,
  error        TEXT
);
-- At most one audit runs at a time, across processes.
CREATE UNIQUE INDEX audits_one_running ON audits(status) WHERE status = 'running';
`;
