/**
 * `turns_in_progress`: a row for each turn being answered, written when it starts and deleted when it
 * ends in any way. A row still there at the next `cairn start`, from a process that is gone, is a turn a
 * crash or a power cut cut off: its person is told (core/turns-in-progress.ts). Without it, their message
 * was in the history and nothing said a turn was under way, so nobody was ever told.
 * `run`: the process's own random id, since a pid comes round again after a reboot.
 */
export const sql = /* sql */ `
CREATE TABLE turns_in_progress (
  id               INTEGER PRIMARY KEY,
  platform         TEXT NOT NULL,
  conversation_id  TEXT NOT NULL,
  message_id       TEXT NOT NULL,
  user_id          TEXT NOT NULL,
  schedule_id      INTEGER,
  started_at       INTEGER NOT NULL,
  pid              INTEGER NOT NULL,
  host             TEXT NOT NULL,
  run              TEXT NOT NULL
);
`;
