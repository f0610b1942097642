/**
 * `message_sources`: which platform message each stored user message came from (a batch of messages sent
 * together: each of them; an edit: its own id, `<message id>:edit:<when>`). When its sender deletes a message on
 * Slack or Discord, its text and Cairn's turn for it leave the stored history (core/withdrawals.ts): someone who
 * pasted a password and deleted it at once found it kept in the session, read by notes extraction and tasks. The
 * messages table had no platform id to find it by. A row goes with its message (the trigger): the history sweep,
 * /forget and a deletion leave none behind. Messages stored before this have none, and are not found.
 */
export const sql = /* sql */ `
CREATE TABLE message_sources (
  platform    TEXT NOT NULL,
  message_id  TEXT NOT NULL,
  session_id  TEXT NOT NULL,
  seq         INTEGER NOT NULL,
  PRIMARY KEY (platform, message_id, session_id)
) WITHOUT ROWID;
CREATE INDEX message_sources_by_message ON message_sources(session_id, seq);
CREATE TRIGGER message_sources_follow AFTER DELETE ON messages BEGIN
  DELETE FROM message_sources WHERE session_id = old.session_id AND seq = old.seq;
END;
`;
