/**
 * Skill versions and uses. Every change to a skill (the agent's writes, a person's
 * edit on disk, first sight of a skill, rollback, archive) is a version holding the
 * full SKILL.md text, so any version can be restored. A use is a skill version the
 * agent viewed during a turn; the learning loop fills in its outcome.
 */
export const sql = /* sql */ `
CREATE TABLE skill_versions (
  id          INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  version     INTEGER NOT NULL,
  action      TEXT NOT NULL CHECK (action IN ('import', 'edit', 'create', 'patch', 'rollback', 'archive')),
  author      TEXT NOT NULL CHECK (author IN ('agent', 'person', 'import')),
  reason      TEXT,
  text        TEXT NOT NULL,
  hash        TEXT NOT NULL,
  source      TEXT NOT NULL,
  session_id  TEXT,
  created_at  INTEGER NOT NULL,
  UNIQUE (name, version)
);
CREATE INDEX skill_versions_by_time ON skill_versions(created_at);

-- turn: seq of the user message that began the turn (messages.seq in that session).
CREATE TABLE skill_uses (
  session_id  TEXT NOT NULL,
  turn        INTEGER NOT NULL,
  name        TEXT NOT NULL,
  version     INTEGER NOT NULL,
  viewed_at   INTEGER NOT NULL,
  outcome     TEXT CHECK (outcome IN ('success', 'failure', 'unknown')),
  PRIMARY KEY (session_id, turn, name, version),
  FOREIGN KEY (name, version) REFERENCES skill_versions(name, version)
) WITHOUT ROWID;
CREATE INDEX skill_uses_by_version ON skill_uses(name, version);
`;
