/**
 * Approval of dangerous commands. The tool that holds one asks in the chat, then
 * waits: an admin answers `/approve <id>` or `/deny <id>` (from any conversation, or
 * with the buttons under the request where the platform shows them),
 * or the timeout denies it. Once settled, the request shows how, without its buttons,
 * where the platform lets Cairn edit it. Every request, its decision and who made it are
 * recorded in SQLite (command_approvals). Waiting requests live in this process: an answer
 * given to another Cairn on the same database (`cairn chat` beside `cairn start`) is refused
 * there, since it could not wake the tool that waits; except a request its process left in the
 * admin channel's queue (a piped `cairn chat`, where nobody can answer): `cairn start` posts it
 * and takes the answer, and the process that asked reads the decision back from the database.
 * Ones left pending by a previous process are marked expired at start. What the admin reads is
 * worded in approval-text.ts. A tool's call that needs a yes (tool-approvals.ts) waits here too; one
 * its caller answers takes their /confirm or /decline (approval-commands.ts) as an admin's answer.
 */
import { randomInt } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import { setBounded } from '../core/bounded-map.js';
import type { Logger } from '../core/logger.js';
import type { Db } from '../store/db.js';
import { currentHolder } from '../store/instance-lease.js';
import { AdminPosts } from '../learning/admin-posts.js';
import type { Danger } from './danger.js';
import { approvalQuestion, listedRequest, outcomeLine, withInstructions } from './approval-text.js';
import type { Timers, TimerHandle } from './timers.js';
import type { Notify } from '../tools/registry.js';
import type { PostedMessage, ReplyButton } from '../core/message.js';
import { adminButtons, callerButtons } from './approval-commands.js';

export { registerApprovalCommands } from './approval-commands.js';

export type ApprovalStatus = 'pending' | 'approved' | 'denied' | 'expired' | 'cancelled';

export interface ApprovalRequest {
  sessionId: string;
  conversationId: string;
  userId: string;
  backend: string;
  tool: string;
  /** The command (or, for write_file, the path) that needs approval. */
  command: string;
  /** Fed to the command on standard input (the script, for `bash`): shown and recorded with it. */
  stdin?: string | undefined;
  /** The directory the command was to run in, where the tool was given one. */
  cwd?: string | undefined;
  danger: Danger;
  /** Asked for by an admin, who sees the question in their own conversation. */
  byAdmin: boolean;
  /**
   * A tool's call waiting for a yes (Tool.needsApproval; tool-approvals.ts), its arguments as JSON in `command`, and
   * the tool's reason where it gave one. `approvedBy` 'caller': the person who asked answers (/confirm, /decline), or an admin.
   */
  toolCall?: { approvedBy: 'caller' | 'admin'; callerName: string; reason: string | undefined } | undefined;
}

export interface ApprovalDecision {
  id: string;
  status: Exclude<ApprovalStatus, 'pending'>;
  decidedBy: string;
  /** The admin's name where the platform gave one. */
  decidedByName?: string;
  /** What the admin said with it (`/deny <id> use the staging box`). */
  note?: string;
}

export interface ApprovalGateOptions {
  db: Db;
  clock: Clock;
  timers: Timers;
  timeoutMs: number;
  logger: Logger;
  /**
   * Posts into the admins' conversation (CAIRN_ADMIN_CHANNEL), where a request made by
   * someone who is not an admin is asked too: an admin may never look at that person's chat.
   */
  tellAdmins?: ((conversationId: string, text: string, buttons: ReplyButton[]) => Promise<PostedMessage | undefined>) | undefined;
  adminChannel?: string | undefined;
}

interface Waiting {
  /** Who asked, and who may answer: the caller too, for a tool's call they are to confirm. */
  asked: { by: string; callerName: string | undefined; tool: string | undefined; callerDecides: boolean };
  resolve(decision: ApprovalDecision): void;
  timer: TimerHandle;
  /** For a request asked through the admin channel's queue: the next look at the database for its decision. */
  poll?: TimerHandle;
}

/** Whose leftover requests a start expires: one conversation's, or all but those under a prefix. */
export type LeftoverScope = { only: string } | { except: string };

/** Who decided when no person did. */
export const SYSTEM = { timeout: 'cairn:timeout', noChat: 'cairn:no-chat', restart: 'cairn:restart', cancelled: 'cairn:cancelled' } as const;

/** What each of those did, said to an admin who answers a request it settled. */
const SYSTEM_WORDS: Record<string, string> = {
  [SYSTEM.timeout]: 'nobody answered in time',
  [SYSTEM.noChat]: 'there was no chat to ask in',
  [SYSTEM.restart]: 'Cairn restarted before an answer',
  [SYSTEM.cancelled]: 'the task ended before an answer',
};

/** How many deciders' names are kept, to say who settled a request to an admin who answers it late. */
const REMEMBERED_DECIDERS = 500;

/** Unambiguous when read aloud or typed on a phone: no 0/o, 1/l/i. */
const ID_ALPHABET = 'abcdefghjkmnpqrstuvwxyz23456789';

/** How often the wall clock is looked at while requests wait: a request whose time went by while the machine slept expires this soon after it wakes. */
export const WALL_CLOCK_CHECK_MS = 15_000;

/** How often a request asked through the admin channel's queue looks for the decision `cairn start` recorded. */
export const DECISION_POLL_MS = 2_000;

export class ApprovalGate {
  private readonly waiting = new Map<string, Waiting>();
  /** The names of those who settled requests in this process (the database keeps their ids only). */
  private readonly deciders = new Map<string, string>();
  /** Set where a request with no chat to ask in is left for `cairn start` to post to the admin channel: what to say of where it came from. */
  private noChatWhere: string | undefined;
  /** The look at the wall clock for waiting requests whose time is up (see watchWallClock). */
  private wallClockWatch: TimerHandle | undefined;

  constructor(private readonly options: ApprovalGateOptions) {}

  /**
   * A request with nobody to ask here (a piped `cairn chat`) is asked in the admin channel instead of
   * refused at once, where one is set and a `cairn start` runs to post it (this process has no adapter
   * for it). `where` says in the question where it came from.
   */
  askAdminChannelWhenNoChat(where: string): void {
    this.noChatWhere = where;
  }

  /**
   * Expires the requests an earlier process left pending (nothing waits for them any more).
   * Only the process that owns them may: `cairn start` under its lease (all but the terminals'
   * conversations: `{ except: 'console:' }`), `cairn chat` for its own conversation (`{ only }`,
   * not a prefix: `--session ada` must not expire what a live `--session adam` waits on). A CLI
   * command beside a running bot must not, or the bot's own waiting requests could never be approved.
   */
  expireLeftovers(scope: LeftoverScope): number {
    const { db, clock, logger } = this.options;
    const expire = "UPDATE command_approvals SET status = 'expired', decided_at = ?, decided_by = ? WHERE status = 'pending'";
    const stale =
      'only' in scope
        ? db.prepare(`${expire} AND conversation_id = ?`).run(clock.now(), SYSTEM.restart, scope.only)
        : db.prepare(`${expire} AND substr(conversation_id, 1, length(?)) != ?`).run(clock.now(), SYSTEM.restart, scope.except, scope.except);
    if (stale.changes > 0) logger.info({ approvals: stale.changes }, 'approvals left pending by an earlier run expired');
    return stale.changes;
  }

  /**
   * Asks for approval and waits for the decision. `notify` posts into the chat;
   * without one there is nobody to ask, so the request is denied at once.
   */
  async request(request: ApprovalRequest, notify: Notify | undefined, signal?: AbortSignal): Promise<ApprovalDecision> {
    const { db, clock, timers, timeoutMs, logger } = this.options;
    const id = this.newId();
    const now = clock.now();
    db.prepare(
      `INSERT INTO command_approvals (id, session_id, conversation_id, requested_by, backend, tool, command, stdin, cwd, matched, rule, reason, status, requested_at, expires_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
    ).run(
      id,
      request.sessionId,
      request.conversationId,
      request.userId,
      request.backend,
      request.tool,
      request.command,
      request.stdin ?? null,
      request.cwd ?? null,
      request.danger.matched ?? null,
      request.danger.rule,
      request.danger.reason,
      now,
      now + timeoutMs,
    );
    logger.info({ approvalId: id, sessionId: request.sessionId, rule: request.danger.rule }, 'command held for approval');
    // The turn was stopped before it got here: nobody is asked, nothing waits.
    if (signal?.aborted) return this.settle(id, 'cancelled', SYSTEM.cancelled) ?? { id, status: 'cancelled', decidedBy: SYSTEM.cancelled };
    const leftForAdmins = !notify && this.leaveForAdminChannel(id, request);
    if (!notify && !leftForAdmins) return this.settle(id, 'denied', SYSTEM.noChat) ?? { id, status: 'denied', decidedBy: SYSTEM.noChat };

    const decision = new Promise<ApprovalDecision>((resolve) => {
      const timer = timers.setTimeout(() => this.settle(id, 'expired', SYSTEM.timeout), timeoutMs);
      const callerDecides = request.toolCall?.approvedBy === 'caller';
      this.waiting.set(id, { asked: { by: request.userId, callerName: request.toolCall?.callerName, tool: request.toolCall ? request.tool : undefined, callerDecides }, resolve, timer });
      this.watchWallClock();
    });
    if (leftForAdmins) this.pollDecision(id);
    const onAbort = () => this.settle(id, 'cancelled', SYSTEM.cancelled);
    signal?.addEventListener('abort', onAbort, { once: true });
    const callerDecides = request.toolCall?.approvedBy === 'caller';
    const buttons = callerDecides ? callerButtons(id) : adminButtons(id);
    const question = approvalQuestion(id, request);
    // A call the caller confirms is theirs to answer: the admins are not asked to watch it.
    const asked = notify
      ? await Promise.all([this.ask(id, question, () => notify(withInstructions(question, id, timeoutMs, callerDecides ? request.toolCall?.callerName : undefined), buttons)), callerDecides ? undefined : this.askAdmins(id, request, buttons)])
      : [];
    // Nobody saw the question, so nobody can answer it.
    if (notify && !asked.some(Boolean)) this.settle(id, 'denied', SYSTEM.noChat);
    try {
      const decided = await decision;
      // The buttons come off: the request shows how it was settled.
      for (const posted of asked) if (posted) void this.showDecision(posted, decided);
      return decided;
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
  }

  /** Posts the question; undefined when it could not be posted. */
  private async ask(id: string, question: string, post: () => Promise<PostedMessage | undefined>): Promise<AskedIn | undefined> {
    try {
      return { id, question, message: await post() };
    } catch (error) {
      this.options.logger.warn({ approvalId: id, err: describeError(error) }, 'could not post the approval request');
      return undefined;
    }
  }

  /** A request of someone who is not an admin is asked in the admins' conversation too, saying whose it is. */
  private async askAdmins(id: string, request: ApprovalRequest, buttons: ReplyButton[]): Promise<AskedIn | undefined> {
    const { adminChannel, tellAdmins, timeoutMs } = this.options;
    if (request.byAdmin || !adminChannel || !tellAdmins || adminChannel === request.conversationId) return undefined;
    const question = approvalQuestion(id, request, `Asked for by ${request.userId} in ${request.conversationId}.`);
    return this.ask(id, question, () => tellAdmins(adminChannel, withInstructions(question, id, timeoutMs), buttons));
  }

  /**
   * Leaves the question (without its instructions: the time left is worked out when it is sent) for
   * `cairn start` to post to the admin channel with its buttons. False where that cannot happen: no
   * channel, not asked for here, or no `cairn start` running to post it (a question nobody would see).
   */
  private leaveForAdminChannel(id: string, request: ApprovalRequest): boolean {
    const { adminChannel, db, clock, logger } = this.options;
    if (this.noChatWhere === undefined || !adminChannel || !currentHolder(db, 'start', clock.now())) return false;
    const question = approvalQuestion(id, request, `Asked for by ${request.userId} in ${request.conversationId} (${this.noChatWhere}).`);
    new AdminPosts(db).add(question, { approvalId: id }, clock.now());
    logger.warn({ approvalId: id, adminChannel }, `command held for approval: asked in the admin channel (${adminChannel}); it waits for an admin's answer there`);
    return true;
  }

  /** Looks in the database, now and then, for the decision on a request asked through the admin channel's queue. */
  private pollDecision(id: string): void {
    const look = (): void => {
      const waiting = this.waiting.get(id);
      if (!waiting) return;
      this.wake(id, waiting);
      if (this.waiting.has(id)) waiting.poll = this.options.timers.setTimeout(look, DECISION_POLL_MS);
    };
    const waiting = this.waiting.get(id);
    if (waiting) waiting.poll = this.options.timers.setTimeout(look, DECISION_POLL_MS);
  }

  /** The question with how it was settled in place of its buttons; where the platform refuses, the buttons stay and a press says it is settled. */
  private async showDecision(asked: AskedIn, decision: ApprovalDecision): Promise<void> {
    if (!asked.message) return;
    try {
      await asked.message.edit(`${asked.question}\n${outcomeLine(decision, this.options.timeoutMs)}`);
    } catch (error) {
      this.options.logger.warn({ approvalId: asked.id, err: describeError(error) }, 'could not show the decision on the approval request');
    }
  }

  /**
   * An admin's answer (`name`: how they are shown): the request's id, then, optionally, why
   * (`/deny k3m9pq use the staging box`), shown with the decision. Says what happened in words fit for the chat.
   */
  decide(args: string, approve: boolean, decidedBy: string, decidedIn: string, name?: string): string {
    const [first = '', ...why] = args.trim().split(/\s+/);
    const key = first.toLowerCase();
    if (key === '') return this.pendingSummary();
    const elsewhere = this.waitedOnElsewhere(key);
    if (elsewhere) return elsewhere;
    const note = why.join(' ');
    this.expireIfPast(key);
    const tool = this.waiting.get(key)?.asked.tool;
    const decision = this.settle(key, approve ? 'approved' : 'denied', decidedBy, decidedIn, name, note === '' ? undefined : note);
    const what = tool === undefined ? 'the command' : `${tool}`;
    if (decision) return approve ? `Approved ${key}: ${what} runs now.` : `Denied ${key}: ${what} will not run.`;
    const row = this.options.db
      .prepare<[string], { status: ApprovalStatus; decided_by: string | null; decided_by_name: string | null }>('SELECT status, decided_by, decided_by_name FROM command_approvals WHERE id = ?')
      .get(key);
    if (!row) return `There is no approval request ${key}. ${this.pendingSummary()}`;
    return `Request ${key} is already ${row.status}${this.settledBy(key, row.decided_by, row.decided_by_name, decidedBy)}.`;
  }

  /**
   * Who asked for a request waiting here, and whether they may answer it themselves (a tool's call they confirm):
   * undefined when it does not wait here.
   */
  waitingFor(id: string): Waiting['asked'] | undefined {
    return this.waiting.get(id.toLowerCase())?.asked;
  }

  /** Who settled a request, in words for the chat: Cairn's reason, "you", or the admin's name where one was recorded (ids mean nothing there). */
  private settledBy(id: string, decidedBy: string | null, name: string | null, asking: string): string {
    if (decidedBy === null) return '';
    const system = SYSTEM_WORDS[decidedBy];
    if (system) return `: ${system}`;
    if (decidedBy === asking) return ' (by you)';
    return ` (by ${this.deciders.get(id) ?? name ?? 'another admin'})`;
  }

  /**
   * Why a request pending in the database cannot be settled here: another Cairn on the same
   * database (`cairn chat` beside `cairn start`) asked it and waits on it in its own memory. A
   * decision written here would not wake it: it would sleep until its timeout, then act on it.
   * The request stays pending for an admin that process hears.
   */
  private waitedOnElsewhere(id: string): string | undefined {
    if (this.waiting.has(id)) return undefined;
    const row = this.options.db
      .prepare<[string], { conversation_id: string; expires_at: number; in_admin_queue: number }>(
        `SELECT conversation_id, expires_at, ${IN_ADMIN_QUEUE} AS in_admin_queue FROM command_approvals WHERE id = ? AND status = 'pending'`,
      )
      .get(id);
    if (!row) return undefined;
    if (row.expires_at <= this.options.clock.now()) return `Request ${id} was asked by a Cairn that stopped before it was answered: nothing waits for it, and it will not run. Nothing was decided here.`;
    // Asked through the admin channel's queue: the process that asked reads the decision from the database.
    if (row.in_admin_queue) return undefined;
    return `Request ${id} is waiting in another running Cairn (asked in ${row.conversation_id}); answer it in that chat. Nothing was decided here.`;
  }

  /**
   * Expires a request waiting here whose time is up by the wall clock. Its timer counts the machine's
   * running time: after a laptop slept, an answer given on waking was taken, and the command run, hours
   * after the question said it would be refused.
   */
  private expireIfPast(id: string): void {
    if (!this.waiting.has(id)) return;
    const expiresAt = this.options.db.prepare<[string], number>("SELECT expires_at FROM command_approvals WHERE id = ? AND status = 'pending'").pluck().get(id);
    if (expiresAt !== undefined && expiresAt <= this.options.clock.now()) this.settle(id, 'expired', SYSTEM.timeout);
  }

  /** Requests waiting for an answer here, oldest first: this process's own, and those another one left in the admin channel's queue. */
  pending(): { id: string; command: string; matched: string | undefined; reason: string; conversationId: string }[] {
    const now = this.options.clock.now();
    return this.options.db
      .prepare<[], { id: string; command: string; matched: string | null; reason: string; conversation_id: string; expires_at: number; in_admin_queue: number }>(
        `SELECT id, command, matched, reason, conversation_id, expires_at, ${IN_ADMIN_QUEUE} AS in_admin_queue FROM command_approvals WHERE status = 'pending' ORDER BY requested_at`,
      )
      .all()
      .filter((row) => this.waiting.has(row.id) || (row.in_admin_queue && row.expires_at > now))
      .map((row) => ({ id: row.id, command: row.command, matched: row.matched ?? undefined, reason: row.reason, conversationId: row.conversation_id }));
  }

  private pendingSummary(): string {
    const pending = this.pending();
    if (pending.length === 0) return 'No commands are waiting for approval.';
    return ['Waiting for approval:', ...pending.map(listedRequest)].join('\n');
  }

  /** Records a decision and wakes the waiting tool; undefined when the request was not waiting. */
  private settle(id: string, status: ApprovalDecision['status'], decidedBy: string, decidedIn?: string, name?: string, note?: string): ApprovalDecision | undefined {
    const waiting = this.waiting.get(id);
    const updated = this.options.db
      .prepare("UPDATE command_approvals SET status = ?, decided_at = ?, decided_by = ?, decided_in = ?, decided_by_name = ?, decision_note = ? WHERE id = ? AND status = 'pending'")
      .run(status, this.options.clock.now(), decidedBy, decidedIn ?? null, name ?? null, note ?? null, id);
    if (updated.changes === 0) {
      // Settled meanwhile from outside this process: whoever still waits here learns how, and never hangs.
      if (waiting) this.wake(id, waiting);
      return undefined;
    }
    const decision: ApprovalDecision = { id, status, decidedBy, ...(name ? { decidedByName: name } : {}), ...(note ? { note } : {}) };
    if (name) setBounded(this.deciders, id, name, REMEMBERED_DECIDERS);
    if (waiting) this.release(id, waiting, decision);
    this.options.logger.info({ approvalId: id, status, decidedBy }, 'approval decided');
    return decision;
  }

  /** Resolves a waiter with the decision the database holds for its request. */
  private wake(id: string, waiting: Waiting): void {
    const row = this.options.db
      .prepare<[string], { status: ApprovalStatus; decided_by: string | null; decided_by_name: string | null; decision_note: string | null }>(
        'SELECT status, decided_by, decided_by_name, decision_note FROM command_approvals WHERE id = ?',
      )
      .get(id);
    if (!row || row.status === 'pending') return;
    const decision: ApprovalDecision = { id, status: row.status, decidedBy: row.decided_by ?? SYSTEM.restart };
    if (row.decided_by_name) decision.decidedByName = row.decided_by_name;
    if (row.decision_note) decision.note = row.decision_note;
    this.release(id, waiting, decision);
  }

  /**
   * While requests wait, the wall clock is looked at every WALL_CLOCK_CHECK_MS: their timers count the
   * machine's running time, and after a sleep the tool waiting on one sat out the rest of its time awake
   * (minutes) on a question whose time was up hours ago.
   */
  private watchWallClock(): void {
    if (this.wallClockWatch !== undefined || this.waiting.size === 0) return;
    this.wallClockWatch = this.options.timers.setTimeout(() => {
      this.wallClockWatch = undefined;
      try {
        for (const id of [...this.waiting.keys()]) this.expireIfPast(id);
      } catch (error) {
        this.options.logger.warn({ err: describeError(error) }, 'could not look for approval requests whose time is up');
      }
      this.watchWallClock();
    }, WALL_CLOCK_CHECK_MS);
  }

  private release(id: string, waiting: Waiting, decision: ApprovalDecision): void {
    this.waiting.delete(id);
    if (this.waiting.size === 0 && this.wallClockWatch !== undefined) {
      this.options.timers.clearTimeout(this.wallClockWatch);
      this.wallClockWatch = undefined;
    }
    this.options.timers.clearTimeout(waiting.timer);
    if (waiting.poll !== undefined) this.options.timers.clearTimeout(waiting.poll);
    waiting.resolve(decision);
  }

  private newId(): string {
    for (;;) {
      const id = Array.from({ length: 6 }, () => ID_ALPHABET[randomInt(ID_ALPHABET.length)]).join('');
      if (!this.options.db.prepare('SELECT 1 FROM command_approvals WHERE id = ?').get(id)) return id;
    }
  }
}

/** SQL: whether a command_approvals row was left in the admin channel's queue (decidable by the process that posts it). */
const IN_ADMIN_QUEUE = 'EXISTS (SELECT 1 FROM admin_posts WHERE admin_posts.approval_id = command_approvals.id)';

/** A posted request: where, and its question without the instructions. */
interface AskedIn {
  id: string;
  question: string;
  message: PostedMessage | undefined;
}
