/**
 * `cairn usage`: who the model's tokens went to, per person, since midnight UTC some
 * days back, so an operator can see what a busy server costs and set
 * CAIRN_USER_DAILY_TOKENS from real numbers.
 */
import type { Cairn } from '../main.js';
import type { Command } from 'commander';
import { positiveInt, withCairn, type CommandGroup } from './context.js';
import { CairnError } from '../core/errors.js';
import { startOfUtcMonth } from '../core/month.js';
import { DAY_MS, startOfUtcDay } from '../core/clock.js';
import { count } from '../core/text.js';
import type { Cost } from '../core/usage-ledger.js';

export const usageCommands: CommandGroup = (context) => {
  const { program, print } = context;
  program
    .command('usage')
    .description("the model's tokens and cost per person and per kind of work, today, over the last days or this month (UTC)")
    .option('--days <n>', 'days back, today included', '1')
    .option('--month', 'this calendar month so far (since the 1st, 00:00 UTC), as a provider bills it')
    .option('--json', 'print JSON')
    .action((options: { days: string; month?: boolean; json?: boolean }, command: Command) => {
      const days = positiveInt(options.days, '--days');
      if (options.month && command.getOptionValueSource('days') === 'cli') throw new CairnError('invalid_input', 'Give --days or --month, not both.');
      return withCairn(context, (cairn) => {
        // Nothing was recorded before 1970; a larger --days ("all of it") would be a date Date cannot print.
        const since = options.month ? startOfUtcMonth(Date.now()) : Math.max(0, startOfUtcDay(Date.now()) - (days - 1) * DAY_MS);
        const people = withCarried(withBatchRunsTogether(cairn.ledger.byPerson(since)), cairn.ledger.carriedByAccount(since));
        const rows = withLinkedAccounts(people, (person) => cairn.access.links.identitiesOf(person));
        const limit = cairn.config.agent.userDailyTokens;
        const total = cairn.ledger.totals(since);
        const kinds = cairn.ledger.byPurpose(since).map((row) => ({ ...row, background: !PEOPLES_REQUESTS.has(row.purpose) }));
        const unpriced = cairn.ledger.unpricedModels(since);
        const budget = budgetOf(cairn.config.agent, options.month === true);
        if (options.json) {
          const totals = { calls: total.calls, tokens: total.promptTokens + total.completionTokens, costUsd: total.costUsd ?? null, ...(total.partialCost ? { partialCost: true } : {}) };
          return print(JSON.stringify({ since: new Date(since).toISOString(), dailyAllowance: limit ?? null, people: rows, total: totals, byPurpose: kinds, unpricedModels: unpriced, ...budget }));
        }
        const period = options.month ? `This month (since ${new Date(since).toISOString().slice(0, 10)}, 00:00 UTC)` : days === 1 ? 'Today (since 00:00 UTC)' : `Since ${new Date(since).toISOString().slice(0, 10)} (${days} days)`;
        if (rows.length === 0) return print(`${period}: no model calls.`);
        print(`${period}${limit ? `; daily allowance ${count(limit)} tokens a person` : ''}:`);
        const width = Math.max(...rows.map((row) => label(row).length), TOTAL.length);
        for (const row of rows) {
          print(`  ${label(row).padEnd(width)}  ${count(row.tokens).padStart(12)} tokens  ${count(row.calls).padStart(6)} calls${cost(row)}${carriedText(row)}`);
        }
        // The sum an owner compares with the provider's bill: people and background work together.
        print(`  ${TOTAL.padEnd(width)}  ${count(total.promptTokens + total.completionTokens).padStart(12)} tokens  ${count(total.calls).padStart(6)} calls${cost({ costUsd: total.costUsd, ...(total.partialCost ? { partialCost: true as const } : {}) })}`);
        printKinds(print, kinds);
        if (unpriced.length > 0) print(`No known price for ${unpriced.join(', ')}: add ${unpriced.length === 1 ? 'it' : 'them'} to model.pricing in the config file (see README, Models).`);
        if (budget.budgetUsd !== undefined) print(budgetLine(budget.budgetUsd, total.costUsd ?? 0, options.month === true));
      });
    });
};

/** The purposes that are people's requests (and count toward their allowance); the rest is Cairn's background work. */
const PEOPLES_REQUESTS = new Set(['chat', 'summary', 'vision', 'transcription']);
const TOTAL = 'Total';

/** What each kind of work cost: an owner's question is what the background work costs beside people's requests. */
function printKinds(print: (line: string) => void, kinds: (ReturnType<Cairn['ledger']['byPurpose']>[number] & { background: boolean })[]): void {
  print('By kind of work:');
  const width = Math.max(...kinds.map((kind) => kind.purpose.length));
  for (const kind of kinds) {
    const what = kind.background ? 'background' : "people's requests";
    print(`  ${kind.purpose.padEnd(width)}  ${count(kind.tokens).padStart(12)} tokens  ${count(kind.calls).padStart(6)} calls${cost(kind)}  (${what})`);
  }
}

/** The team's budget for the period shown, when one is set: the monthly one with --month, else the daily one. */
function budgetOf(agent: Cairn['config']['agent'], month: boolean): { budgetUsd?: number } {
  const budget = month ? agent.monthlyBudgetUsd : agent.dailyBudgetUsd;
  return budget === undefined ? {} : { budgetUsd: budget };
}

function budgetLine(budget: number, spent: number, month: boolean): string {
  const setting = month ? 'CAIRN_MONTHLY_BUDGET_USD' : 'CAIRN_DAILY_BUDGET_USD';
  return `The team's budget (${setting}) is $${budget.toFixed(2)}: ${Math.floor((spent / budget) * 100)}% spent, $${Math.max(0, budget - spent).toFixed(2)} left.`;
}

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
function cost(row: Cost): string {
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
