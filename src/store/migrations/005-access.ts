/** Access control: DM pairing requests, users approved by an operator, and linked identities. */
export const sql = /* sql */ `
CREATE TABLE pairing_requests (
  code         TEXT PRIMARY KEY,
  platform     TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  user_name    TEXT NOT NULL,
  created_at   INTEGER NOT NULL,
  expires_at   INTEGER NOT NULL,
  approved_at  INTEGER,
  approved_by  TEXT
);
CREATE INDEX pairing_requests_by_user ON pairing_requests(platform, user_id);

CREATE TABLE approved_users (
  platform     TEXT NOT NULL,
  user_id      TEXT NOT NULL,
  approved_at  INTEGER NOT NULL,
  approved_by  TEXT NOT NULL,
  PRIMARY KEY (platform, user_id)
) WITHOUT ROWID;

-- Every linked identity points at one person key (the identity that first issued a link code).
CREATE TABLE identity_links (
  user_id     TEXT PRIMARY KEY,
  person_id   TEXT NOT NULL,
  linked_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX identity_links_by_person ON identity_links(person_id);

CREATE TABLE link_codes (
  code        TEXT PRIMARY KEY,
  user_id     TEXT NOT NULL,
  created_at  INTEGER NOT NULL,
  expires_at  INTEGER NOT NULL
) WITHOUT ROWID;
`;
