/**
 * `schedules.paused`: 1 while who set the task has no access (`cairn pairing revoke`, or a run the
 * gateway refused). A paused task stays active with its `next_run_at` (when it runs once they are let
 * in again) but is never due: before, its runs were skipped while /schedules listed it as active, and a
 * one-off was used up.
 */
export const sql = /* sql */ `
ALTER TABLE schedules ADD COLUMN paused INTEGER NOT NULL DEFAULT 0 CHECK (paused IN (0, 1));
`;
