/**
 * `cairn usage`: who the model's tokens went to, per person, since midnight UTC some
 * days back, so an operator can see what a busy server costs and set
 * CAIRN_USER_DAILY_TOKENS from real numbers.
 */
import type { Cairn } from '../main.js';
import { positiveInt, withCairn, type CommandGroup } from './context.js';
import { DAY_MS, startOfUtcDay } from '../core/clock.js';
import { count } from '../core/text.js';

export const usageCommands: CommandGroup = (context) => {
  const { program, print } = context;
  program
    .command('usage')
    .description("the model's tokens and cost per person, today or over the last days (UTC)")
    .option('--days <n>', 'days back, today included', '1')
    .option('--json', 'print JSON')
    .action((options: { days: string; json?: boolean }) => {
      const days = positiveInt(options.days, '--days');
      return withCairn(context, (cairn) => {
        // Nothing was recorded before 1970; a larger --days ("all of it") would be a date Date cannot print.
        const since = Math.max(0, startOfUtcDay(Date.now()) - (days - 1) * DAY_MS);
        const rows = withBatchRunsTogether(cairn.ledger.byPerson(since));
        const limit = cairn.config.agent.userDailyTokens;
        if (options.json) return print(JSON.stringify({ since: new Date(since).toISOString(), dailyAllowance: limit ?? null, people: rows }));
        const period = days === 1 ? 'Today (since 00:00 UTC)' : `Since ${new Date(since).toISOString().slice(0, 10)} (${days} days)`;
        if (rows.length === 0) return print(`${period}: no model calls.`);
        print(`${period}${limit ? `; daily allowance ${count(limit)} tokens a person` : ''}:`);
        const width = Math.max(...rows.map((row) => label(row.user).length));
        for (const row of rows) {
          print(`  ${label(row.user).padEnd(width)}  ${count(row.tokens).padStart(12)} tokens  ${count(row.calls).padStart(6)} calls${cost(row)}`);
        }
      });
    });
};

type Row = ReturnType<Cairn['ledger']['byPerson']>[number];

/** A batch run with --shared-db gives each task a user of its own (`batch:<task>:<nonce>`): one row for them all. */
function withBatchRunsTogether(rows: Row[]): Row[] {
  const batch = rows.filter((row) => row.user?.startsWith('batch:'));
  if (batch.length === 0) return rows;
  const costs = batch.flatMap((row) => (row.costUsd === undefined ? [] : [row.costUsd]));
  // Runs of unknown cost beside priced ones leave the sum a floor, as one run's unpriced calls do.
  const partial = costs.length > 0 && batch.some((row) => row.costUsd === undefined || row.partialCost);
  const together: Row = {
    user: '(batch runs)',
    calls: batch.reduce((sum, row) => sum + row.calls, 0),
    tokens: batch.reduce((sum, row) => sum + row.tokens, 0),
    costUsd: costs.length ? costs.reduce((a, b) => a + b, 0) : undefined,
    ...(partial ? { partialCost: true as const } : {}),
  };
  return [...rows.filter((row) => !batch.includes(row)), together].sort((a, b) => b.tokens - a.tokens);
}

/** Dollars where known; a sum that leaves out calls of unknown price is marked as a floor. */
function cost(row: Row): string {
  if (row.costUsd === undefined) return '';
  return row.partialCost ? `  at least $${row.costUsd.toFixed(4)} (some calls have no known price)` : `  $${row.costUsd.toFixed(4)}`;
}

function label(user: string | null): string {
  return user ?? '(background: notes, reflection, audits)';
}
