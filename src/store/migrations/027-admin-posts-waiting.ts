/**
 * `admin_posts`: posts to CAIRN_ADMIN_CHANNEL (audit reports, skill proposals) made by a process with no
 * adapter for that channel's platform (`cairn chat`, the CLI). They wait here until a process that has
 * one (`cairn start`) sends them to the admin channel configured then. `state`: waiting → sending
 * (claimed by one process) → sent, or dropped (a proposal settled before it was sent, or a post that
 * kept failing). `proposal_id`: the proposal a post announces (its buttons are made from it when sent).
 */
export const sql = /* sql */ `
CREATE TABLE admin_posts (
  id INTEGER PRIMARY KEY,
  text TEXT NOT NULL,
  proposal_id INTEGER,
  created_at INTEGER NOT NULL,
  state TEXT NOT NULL DEFAULT 'waiting' CHECK (state IN ('waiting', 'sending', 'sent', 'dropped')),
  attempts INTEGER NOT NULL DEFAULT 0,
  updated_at INTEGER
);
CREATE INDEX admin_posts_waiting ON admin_posts (state, id);
`;
