/**
 * The message each task's turn answered, so a 👍/👎 on an older reply is feedback on the
 * task that sent it, not on whatever Cairn did last in that conversation. Tasks recorded
 * before this have none: reactions on those replies fall back to the latest task.
 */
export const sql = /* sql */ `
ALTER TABLE tasks ADD COLUMN message_id TEXT;
CREATE INDEX tasks_by_message ON tasks(conversation_id, message_id);
`;
