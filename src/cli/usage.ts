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
        const people = withCarried(withBatchRunsTogether(cairn.ledger.byPerson(since)), cairn.ledger.carriedByAccount(since));
        const rows = withLinkedAccounts(people, (person) => cairn.access.links.identitiesOf(person));
        const limit = cairn.config.agent.userDailyTokens;
        if (options.json) return print(JSON.stringify({ since: new Date(since).toISOString(), dailyAllowance: limit ?? null, people: rows }));
        const period = days === 1 ? 'Today (since 00:00 UTC)' : `Since ${new Date(since).toISOString().slice(0, 10)} (${days} days)`;
        if (rows.length === 0) return print(`${period}: no model calls.`);
        print(`${period}${limit ? `; daily allowance ${count(limit)} tokens a person` : ''}:`);
        const width = Math.max(...rows.map((row) => label(row).length));
        for (const row of rows) {
          print(`  ${label(row).padEnd(width)}  ${count(row.tokens).padStart(12)} tokens  ${count(row.calls).padStart(6)} calls${cost(row)}${carriedText(row)}`);
        }
      });
    });
};

type Row = ReturnType<Cairn['ledger']['byPerson']>[number] & { linked?: string[]; carried?: number };

/**
 * An account that left a person (`/unlink`) counts the person's spending that day toward its own
 * allowance, as `/usage` there says; those calls stay the person's (listed once), so the account's row
 * says how many tokens it carries, or it showed nothing while its requests were refused.
 */
function withCarried(rows: Row[], carried: Map<string, number>): Row[] {
  const withIt = rows.map((row) => {
    const tokens = row.user === null ? undefined : carried.get(row.user);
    return tokens === undefined ? row : { ...row, carried: tokens };
  });
  const listed = new Set(rows.map((row) => row.user));
  const onlyCarried = [...carried].filter(([user]) => !listed.has(user)).map(([user, tokens]): Row => ({ user, calls: 0, tokens: 0, costUsd: undefined, carried: tokens }));
  return [...withIt, ...onlyCarried];
}

/**
 * A person's row is under one account's key (`slack:T1:U1`, whichever issued the first /link code): it
 * names the other accounts whose requests it counts too, or an operator read it as that account alone
 * (and a Telegram account revoked but still linked as spending nothing, while the person spent on).
 */
function withLinkedAccounts(rows: Row[], identitiesOf: (person: string) => string[]): Row[] {
  return rows.map((row) => {
    const linked = row.user === null || row.user.startsWith('(') ? [] : identitiesOf(row.user).filter((identity) => identity !== row.user);
    return linked.length > 0 ? { ...row, linked } : row;
  });
}

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

function carriedText({ carried }: Row): string {
  return carried === undefined ? '' : `  (and ${count(carried)} tokens the person it left spent that day, which count toward its allowance too)`;
}

function label({ user, linked }: Row): string {
  if (user === null) return '(background: notes, reflection, audits)';
  return linked ? `${user} (linked: ${linked.join(', ')})` : user;
}
