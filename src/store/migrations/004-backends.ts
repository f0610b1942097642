/** Approvals of dangerous commands: what was asked, why it was held, and who decided (or that time ran out). */
export const sql = /* sql */ `
CREATE TABLE command_approvals (
  id               TEXT PRIMARY KEY,
  session_id       TEXT NOT NULL,
  conversation_id  TEXT NOT NULL,
  requested_by     TEXT NOT NULL,
  backend          TEXT NOT NULL,
  tool             TEXT NOT NULL,
  command          TEXT NOT NULL,
  rule             TEXT NOT NULL,
  reason           TEXT NOT NULL,
  status           TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'denied', 'expired', 'cancelled')),
  requested_at     INTEGER NOT NULL,
  expires_at       INTEGER NOT NULL,
  decided_at       INTEGER,
  decided_by       TEXT,
  decided_in       TEXT
);
CREATE INDEX command_approvals_by_session ON command_approvals(session_id);
CREATE INDEX command_approvals_pending ON command_approvals(status) WHERE status = 'pending';
`;
