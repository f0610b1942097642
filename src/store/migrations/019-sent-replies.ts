/**
 * Cairn's own messages on each platform, by the platform's reference to them (core/sent-replies.ts):
 * a 👍/👎 on an answer Cairn sent before a restart is still feedback on the turn it belongs to
 * (the map lived in memory, and every deploy forgot it). Kept to the newest few thousand a platform.
 */
export const sql = /* sql */ `
CREATE TABLE sent_replies (
  platform TEXT NOT NULL,
  key TEXT NOT NULL,
  conversation_id TEXT NOT NULL,
  answered TEXT,
  seq INTEGER NOT NULL,
  PRIMARY KEY (platform, key)
) WITHOUT ROWID;
CREATE INDEX sent_replies_by_seq ON sent_replies(platform, seq);
`;
