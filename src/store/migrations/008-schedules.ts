/** Scheduled tasks: a prompt the agent runs later in a conversation, once or on a cron schedule. */
export const sql = /* sql */ `
CREATE TABLE schedules (
  id               INTEGER PRIMARY KEY,
  conversation_id  TEXT NOT NULL,
  platform         TEXT NOT NULL,
  -- Who set it, as the platform knows them: the runs are their requests, with their access.
  identity         TEXT NOT NULL,
  sender_id        TEXT NOT NULL,
  user_name        TEXT NOT NULL,
  is_direct        INTEGER NOT NULL,
  person           TEXT NOT NULL,
  prompt           TEXT NOT NULL,
  -- A five-field cron expression for a repeating task; NULL for one run.
  cron             TEXT,
  time_zone        TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('active', 'done', 'cancelled')),
  next_run_at      INTEGER,
  last_run_at      INTEGER,
  runs             INTEGER NOT NULL DEFAULT 0,
  created_at       INTEGER NOT NULL
);
CREATE INDEX schedules_due ON schedules(next_run_at) WHERE status = 'active';
CREATE INDEX schedules_by_conversation ON schedules(conversation_id, status);
`;
