/**
 * `schedules.paused_why`: why a paused task's owner can no longer be who it runs as, in words, where the
 * platform said (their Slack account deactivated; they left, were removed from or banned from the Discord
 * server or Telegram group); NULL for a task paused because its owner has no access (`cairn pairing revoke`).
 * /schedules said "has no access now" of a member who had left the server, and the task did not go on when
 * they came back: one paused so goes on once they write to Cairn there again.
 */
export const sql = /* sql */ `
ALTER TABLE schedules ADD COLUMN paused_why TEXT;
`;
