/**
 * The whole team's spending cap in US dollars (`CAIRN_DAILY_BUDGET_USD`, `CAIRN_MONTHLY_BUDGET_USD`), for
 * whoever pays for the model out of a fixed budget: the per-person allowance (allowance.ts) caps tokens one
 * member may use, which neither adds up to a sum of money nor counts Cairn's own background work
 * (reflection, audits, note extraction, embeddings) or audio billed by the minute.
 *
 * Read from the usage ledger (single calls and the days summed past CAIRN_KEEP_HISTORY_DAYS), so it holds
 * across restarts and processes. Checked before each request, like the allowance: the request that crosses
 * the line finishes; from then on every request is refused, admins' too (the money is the same), until the
 * day or month renews (UTC), and reflection and audits stop (learning/budget.ts). The admin channel hears
 * once at 80% and once when it is spent. Only known prices count: calls of a model with no price in
 * `model.pricing` cost nothing here, and the admin channel's messages name such models.
 */
import { DAY_MS, startOfUtcDay, type Clock } from './clock.js';
import { AllowanceSpent } from './allowance.js';
import type { UsageLedger } from './usage-ledger.js';
import { startOfNextUtcMonth, startOfUtcMonth } from './month.js';

export interface TeamBudgetLimits {
  dailyUsd?: number | undefined;
  monthlyUsd?: number | undefined;
}

/** The share of a budget at which the admin channel is warned. */
export const WARN_AT = 0.8;

interface Period {
  /** "today" or "this month", as the messages say it. */
  name: string;
  setting: string;
  limit: number;
  start: number;
  renews: number;
}

export class TeamBudget {
  /** The warnings already given, by period and level: each is said once (per process: a restart may say one again). */
  private readonly told = new Set<string>();

  constructor(
    private readonly ledger: UsageLedger,
    private readonly clock: Clock,
    private readonly limits: TeamBudgetLimits,
    /** Posts to the admin channel (or logs, where there is none). */
    private readonly tellAdmins: (text: string) => void,
  ) {}

  get isSet(): boolean {
    return this.limits.dailyUsd !== undefined || this.limits.monthlyUsd !== undefined;
  }

  /**
   * What to tell anyone whose request the spent budget stops, with when it renews (the later one, when the
   * day's and the month's are both spent); undefined while there is room. Warns the admin channel on the way.
   */
  refusal(): AllowanceSpent | undefined {
    let refused: AllowanceSpent | undefined;
    for (const period of this.periods()) {
      const spent = this.ledger.totals(period.start).costUsd ?? 0;
      this.warn(period, spent);
      if (spent < period.limit || (refused && refused.renewsAt >= period.renews)) continue;
      refused = new AllowanceSpent(
        `The team's model budget for ${period.name} (${usd(period.limit)}) is spent, so Cairn answers no requests until it renews at ${renewal(period.renews, this.clock.now())}. ` +
          `An admin can raise it (${period.setting}).`,
        period.renews,
      );
    }
    return refused;
  }

  /** Whether a budget is spent now (reflection and audits wait for it to renew). */
  spent(): boolean {
    return this.periods().some((period) => (this.ledger.totals(period.start).costUsd ?? 0) >= period.limit);
  }

  /** `/usage` for admins: what each budget has left. */
  report(): string[] {
    return this.periods().map((period) => {
      const { costUsd, partialCost } = this.ledger.totals(period.start);
      const spent = costUsd ?? 0;
      const floor = partialCost ? ' at least' : '';
      return `The team's budget for ${period.name}: ${usd(period.limit)}, of which${floor} ${usd(spent)} is spent (${Math.floor((spent / period.limit) * 100)}%); it renews at ${renewal(period.renews, this.clock.now())}.`;
    });
  }

  private warn(period: Period, spent: number): void {
    const level = spent >= period.limit ? 'spent' : spent >= period.limit * WARN_AT ? 'near' : undefined;
    if (level === undefined) return;
    const key = `${period.setting}:${period.start}`;
    if (this.told.has(`${key}:${level}`)) return;
    // Past the line at once (one dear request), the warning that it was near says nothing more.
    this.told.add(`${key}:near`).add(`${key}:${level}`);
    const when = renewal(period.renews, this.clock.now());
    const unpriced = this.ledger.unpricedModels(period.start);
    const floor = unpriced.length > 0 ? ` This counts only known prices: ${unpriced.join(', ')} answered with no price in model.pricing.` : '';
    this.tellAdmins(
      level === 'spent'
        ? `The team's model budget for ${period.name} (${usd(period.limit)}) is spent (${usd(spent)}): Cairn answers no one's requests, and does no reflection or audits, until it renews at ${when}. To go on, raise ${period.setting} and restart Cairn.${floor}`
        : `Cairn has spent ${usd(spent)} of the team's model budget for ${period.name} (${usd(period.limit)}, ${Math.floor((spent / period.limit) * 100)}%). At ${usd(period.limit)} it stops answering everyone until ${when}. \`cairn usage${period.setting.includes('MONTHLY') ? ' --month' : ''}\` shows who and what it went to.${floor}`,
    );
  }

  private periods(): Period[] {
    const now = this.clock.now();
    const periods: Period[] = [];
    const { dailyUsd, monthlyUsd } = this.limits;
    if (dailyUsd !== undefined) periods.push({ name: 'today', setting: 'CAIRN_DAILY_BUDGET_USD', limit: dailyUsd, start: startOfUtcDay(now), renews: startOfUtcDay(now) + DAY_MS });
    if (monthlyUsd !== undefined) periods.push({ name: 'this month', setting: 'CAIRN_MONTHLY_BUDGET_USD', limit: monthlyUsd, start: startOfUtcMonth(now), renews: startOfNextUtcMonth(now) });
    return periods;
  }
}


function usd(amount: number): string {
  return `$${amount.toFixed(2)}`;
}

/** "00:00 UTC, in 3 h 20 min" the same day; "1 December 00:00 UTC, in 7 days" further off. */
function renewal(at: number, now: number): string {
  const minutes = Math.max(1, Math.ceil((at - now) / 60_000));
  const hours = Math.floor(minutes / 60);
  const wait = hours >= 48 ? `${Math.floor(hours / 24)} days` : hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
  const day = at - now > DAY_MS ? `${new Date(at).toLocaleDateString('en-GB', { day: 'numeric', month: 'long', timeZone: 'UTC' })} ` : '';
  return `${day}00:00 UTC, in ${wait}`;
}
