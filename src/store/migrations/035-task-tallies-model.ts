/**
 * `tasks_for_audits` (migration 031) with the model that ran each task, so an audit can say how each model
 * did (a team switching its main model wants to see whether the success rate changed with it) and still read
 * the index alone (`TaskStore.talliesSince`, INDEXED BY), never the rows and their trajectories. SQLite cannot
 * add a column to an index: it is built again under the same name, which reads each task row once (about as
 * long as 031 took: under a second for 30,000 tasks with 8 KB trajectories, `npm run bench audit`).
 * `DROP … IF EXISTS` so the benchmark can build it again with this text.
 */
export const sql = /* sql */ `
DROP INDEX IF EXISTS tasks_for_audits;
CREATE INDEX tasks_for_audits ON tasks(
  id, created_at, platform, outcome, feedback, tool_errors, stop_reason,
  prompt_tokens, completion_tokens, cached_tokens, skills_used, errors, model
);
`;
