/**
 * Each person's daily token allowance (`agent.userDailyTokens`), so one member of a busy
 * server cannot spend the whole model budget. Counted from the usage ledger (the tokens
 * the model reported for that person's turns, the summaries compressing them, and for reading their images and voice
 * messages, since midnight UTC), so it holds across restarts. Checked before a turn: the
 * turn that crosses the line finishes, and only that one, since a person's turns wait for
 * each other (see `admit`). Admins have no limit. `/usage` tells anyone where they stand.
 */
import { DAY_MS, startOfUtcDay, type Clock } from './clock.js';
import { count } from './text.js';
import { startOfUtcMonth } from './month.js';
import { CairnError } from './errors.js';
import type { CommandRegistry } from './commands.js';
import type { Cost, UsageLedger } from './usage-ledger.js';
import type { TeamBudget } from './team-budget.js';

/**
 * A request refused because its person has spent today's allowance: its message is what to tell
 * them, and `renewsAt` when they may go on (a scheduled one-off refused runs then). Coded
 * `invalid_input`, whose message is said as it is, not as a model provider's rate limit.
 */
export class AllowanceSpent extends CairnError {
  constructor(
    message: string,
    readonly renewsAt: number,
  ) {
    super('invalid_input', message);
    this.name = 'AllowanceSpent';
  }
}

/** A turn let through `admit`: `refusal` says the allowance is spent (and the turn must not run); `release` ends its place in line. */
export interface TurnAdmission {
  refusal: AllowanceSpent | undefined;
  release: () => void;
}

export class DailyAllowance {
  /** Per person, the end of the line of their turns: it settles when the last one let in has ended. */
  private readonly lines = new Map<string, Promise<void>>();

  constructor(
    private readonly ledger: UsageLedger,
    private readonly clock: Clock,
    private readonly dailyTokens: number | undefined,
    /** The whole team's spending cap in dollars (team-budget.ts): it stops everyone, admins too. */
    private readonly team?: TeamBudget | undefined,
  ) {}

  /**
   * Lets a turn start once the person's other turns have ended, then checks the allowance again.
   * A turn's tokens reach the ledger only as its model calls finish, so turns started side by side
   * (a mention in six groups at once) would all read the same total under the line and each cross
   * it; one at a time, only the one that crosses it runs. Admins, and everyone when there is no
   * allowance, wait for nothing. The wait ends early, throwing its reason, when `signal` aborts (shutdown).
   */
  async admit(userKey: string, isAdmin: boolean, signal: AbortSignal): Promise<TurnAdmission> {
    const refused = this.refusal(userKey, isAdmin);
    if (refused !== undefined || this.dailyTokens === undefined || isAdmin) return { refusal: refused, release: () => undefined };
    const ahead = this.lines.get(userKey);
    let release: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => {
      release = resolve;
    });
    const tail = (ahead ?? Promise.resolve()).then(() => ended);
    this.lines.set(userKey, tail);
    void tail.then(() => {
      if (this.lines.get(userKey) === tail) this.lines.delete(userKey);
    });
    try {
      if (ahead) await settledOrAborted(ahead, signal);
    } catch (error) {
      release();
      throw error;
    }
    const refusal = this.refusal(userKey, isAdmin);
    if (refusal !== undefined) release();
    return { refusal, release };
  }

  /** What to tell a person who has spent today's allowance, and when it renews; undefined while they may go on. */
  refusal(userKey: string, isAdmin: boolean): AllowanceSpent | undefined {
    const team = this.team?.refusal();
    if (team !== undefined) return team;
    if (this.dailyTokens === undefined || isAdmin) return undefined;
    if (this.ledger.userTotals(userKey, this.midnight()).tokens < this.dailyTokens) return undefined;
    return new AllowanceSpent(`You have used today's allowance of ${count(this.dailyTokens)} tokens. It renews at 00:00 UTC, in ${this.untilMidnight()}.`, this.midnight() + DAY_MS);
  }

  /** An account left `person` (`/unlink`): it keeps the person's spending today against its allowance. */
  carryOver(person: string, account: string): void {
    this.ledger.carry(person, account, this.midnight());
  }

  /** `/usage`: this person's tokens today against the allowance, and for admins everyone's. */
  report(userKey: string, isAdmin: boolean, linked = false): string {
    const since = this.midnight();
    const mine = this.ledger.userTotals(userKey, since);
    const lines = [`Today (since 00:00 UTC) your requests used ${count(mine.tokens)} tokens${dollars(mine)}.`];
    if (this.dailyTokens !== undefined) {
      lines.push(
        isAdmin
          ? `The daily allowance is ${count(this.dailyTokens)} tokens a person; admins have none${linked ? adminLinkedNote(this.dailyTokens - mine.tokens) : ''}.`
          : `Your daily allowance is ${count(this.dailyTokens)}: ${count(Math.max(0, this.dailyTokens - mine.tokens))} left, renewing in ${this.untilMidnight()}.`,
      );
    }
    if (isAdmin) {
      const all = this.ledger.totals(since);
      lines.push(`Everyone together, background work included: ${count(all.promptTokens + all.completionTokens)} tokens in ${count(all.calls)} model calls${dollars(all)}.`);
      // The month so far, as whoever pays for the model is billed; `cairn usage --month` breaks it down.
      const month = this.ledger.totals(startOfUtcMonth(this.clock.now()));
      lines.push(`This month (since the 1st, 00:00 UTC), everyone together: ${count(month.promptTokens + month.completionTokens)} tokens in ${count(month.calls)} model calls${dollars(month)}.`);
      if (this.team?.isSet) lines.push(...this.team.report());
    }
    return lines.join('\n');
  }

  private midnight(): number {
    return startOfUtcDay(this.clock.now());
  }

  private untilMidnight(): string {
    const minutes = Math.ceil((this.midnight() + DAY_MS - this.clock.now()) / 60_000);
    const hours = Math.floor(minutes / 60);
    return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
  }
}

/** `linked`: whether the person has accounts linked to this one (identity links). */
export function registerUsageCommand(commands: CommandRegistry, allowance: DailyAllowance, linked: (userKey: string) => boolean = () => false): void {
  commands.register({
    name: 'usage',
    description: 'how many tokens your requests used today, and what is left of your daily allowance',
    run: ({ message, isAdmin }) => allowance.report(message.userId, isAdmin, linked(message.userId)),
  });
}

/**
 * An admin here may be a plain member on a linked account (a Slack admin, a member on Telegram): their requests here
 * count toward what that account may use, and "admins have none" alone hid that its turns would be refused.
 */
function adminLinkedNote(left: number): string {
  return `, but your requests here count toward it on linked accounts where you are no admin (${count(Math.max(0, left))} left there today)`;
}

/** A sum that leaves out calls of unknown price is said to be a floor, not the cost. */
function dollars({ costUsd, partialCost }: Cost): string {
  if (costUsd === undefined) return '';
  const amount = `$${costUsd < 0.01 ? costUsd.toFixed(4) : costUsd.toFixed(2)}`;
  return partialCost ? ` (at least ${amount}: some model calls have no known price)` : ` (about ${amount})`;
}

/** Resolves when `ahead` settles (it never rejects), or rejects with the signal's reason when it aborts first. */
function settledOrAborted(ahead: Promise<void>, signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    void ahead.then(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    });
  });
}
