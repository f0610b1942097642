/**
 * Which process runs `cairn start` on this database: a lease it renews while it runs, so
 * a second start on the same data folder is refused instead of answering every message
 * twice, and one that died without closing is taken over once its lease is stale.
 */
export const sql = /* sql */ `
CREATE TABLE instance_lease (
  name        TEXT PRIMARY KEY,
  holder      TEXT NOT NULL,
  pid         INTEGER NOT NULL,
  host        TEXT NOT NULL,
  started_at  INTEGER NOT NULL,
  renewed_at  INTEGER NOT NULL
) WITHOUT ROWID;
`;
