/**
 * `tasks_for_audits`: every column an audit counts (learning/tasks.ts `talliesSince`), in task order,
 * so an audit reads this small index (~80 bytes a task) and never the table. The table's rows hold the
 * trajectory before those columns, and SQLite walks each row's overflow pages to reach them: with
 * 30,000 tasks an audit's read took 1–1.6 s on the event loop, every 15 tasks, and grew with the
 * trajectories. Keyed by id so the read comes out in task order without a sort. `/forget` changes only
 * the words (request, reply, trajectory, reasons), none of them here, so its scrub does not touch it.
 */
export const sql = /* sql */ `
CREATE INDEX tasks_for_audits ON tasks(
  id, created_at, platform, outcome, feedback, tool_errors, stop_reason,
  prompt_tokens, completion_tokens, cached_tokens, skills_used, errors
);
`;
