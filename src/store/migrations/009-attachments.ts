/**
 * Files people sent, kept for a while after they were read into a message: the whole text
 * of a document (of which the message may hold only the start and end, and which context
 * compression may later fold away), or an image, so the agent can read on or look again.
 */
export const sql = /* sql */ `
CREATE TABLE attachments (
  -- AUTOINCREMENT: a number never comes back for another file once one is dropped, since old messages still name it.
  id               INTEGER PRIMARY KEY AUTOINCREMENT,
  -- Only this conversation's turns can read it.
  conversation_id  TEXT NOT NULL,
  user_id          TEXT NOT NULL,
  name             TEXT NOT NULL,
  kind             TEXT NOT NULL CHECK (kind IN ('text', 'image')),
  text             TEXT,
  image            BLOB,
  mime_type        TEXT,
  created_at       INTEGER NOT NULL,
  CHECK ((kind = 'text') = (text IS NOT NULL) AND (kind = 'image') = (image IS NOT NULL))
);
CREATE INDEX attachments_by_age ON attachments(created_at);
`;
