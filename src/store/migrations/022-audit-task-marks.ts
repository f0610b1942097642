/**
 * Which "every N tasks" audit marks have been claimed, per N. Each process counted them alone, so with
 * `cairn start` and `cairn chat` on one database both audited at one mark; now the process that moves
 * `claimed` forward (one UPDATE … WHERE claimed < mark) runs that mark's audit, and the other does not.
 */
export const sql = /* sql */ `
CREATE TABLE audit_task_marks (
  every_tasks  INTEGER PRIMARY KEY,
  claimed      INTEGER NOT NULL
);
`;
