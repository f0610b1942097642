/**
 * What Cairn posts to CAIRN_ADMIN_CHANNEL on its own: audit reports and skill proposals (with Apply and
 * Reject buttons, which come off once the proposal is settled). A process with no adapter for the
 * channel's platform (`cairn chat`, the CLI) leaves its posts in the database (admin-posts.ts); the one
 * with it (`cairn start`) sends them when it starts and every minute while it runs. Among them, commands
 * a piped `cairn chat` holds for approval: posted with Approve and Deny buttons and the time really left,
 * and shown settled (without buttons) by the next round once decided.
 */
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/logger.js';
import { describeError } from '../core/errors.js';
import type { PostedMessage, ReplyButton } from '../core/message.js';
import type { Db } from '../store/db.js';
import type { TimerHandle, Timers } from '../backends/timers.js';
import type { ApprovalDecision, ApprovalStatus } from '../backends/approvals.js';
import { outcomeLine, withInstructions } from '../backends/approval-text.js';
import { AdminPosts, MAX_ATTEMPTS, type WaitingPost } from './admin-posts.js';
import { capitalized, describeProposal, proposalButtons, rejectionLine } from './proposal-commands.js';
import type { Proposal, ProposalStore } from './proposals.js';

/** How often a running `cairn start` looks for posts other processes left waiting. */
export const SEND_WAITING_EVERY_MS = 60_000;

export type PostToConversation = (conversationId: string, text: string, buttons?: ReplyButton[]) => Promise<PostedMessage | undefined>;

export interface AdminChannelOptions {
  db: Db;
  channel: string;
  post: PostToConversation;
  /** Whether this process has an adapter that posts to the conversation now; absent: it has. */
  canPost?: ((conversationId: string) => boolean) | undefined;
  proposals: ProposalStore;
  clock: Clock;
  logger: Logger;
  timers: Timers;
  /** Background work that shutdown and idle() wait for. */
  track: (work: Promise<void>) => void;
}

export class AdminChannel {
  private readonly waiting: AdminPosts;
  /** Proposals posted to the admins by this process, to show how each was settled in place of its buttons. */
  private readonly announced = new Map<number, { text: string; message: PostedMessage }>();
  /** Held commands posted for other processes, to show how each was settled in place of its buttons. */
  private readonly askedApprovals = new Map<string, { text: string; message: PostedMessage }>();
  private timer: TimerHandle | undefined;
  private sendingWaiting = false;
  /** Which start() the timer belongs to: stop() and each start() end the one before. */
  private run = 0;

  constructor(private readonly options: AdminChannelOptions) {
    this.waiting = new AdminPosts(options.db);
  }

  /** A proposal left for a person goes before the admins; a failed post is logged (`/proposals` lists it still). */
  announce(proposal: Proposal): void {
    const text = `Cairn proposes a skill change, for an admin to review.\n${describeProposal(proposal)}`;
    this.options.track(this.send(text, proposal).catch((error: unknown) => this.options.logger.warn({ proposalId: proposal.id, err: describeError(error) }, 'could not post the skill proposal to the admin channel')));
  }

  /** An audit report; a failure to post it is the caller's to log. */
  async publish(report: string): Promise<void> {
    await this.send(report, undefined);
  }

  /** The posted proposal says how it was settled, and its buttons come off. */
  async showSettled(id: number, outcome: string): Promise<void> {
    const announced = this.announced.get(id);
    if (!announced) return;
    this.announced.delete(id);
    await announced.message.edit(`${announced.text}\n${outcome}`).catch((error: unknown) => this.options.logger.warn({ proposalId: id, err: describeError(error) }, 'could not show the decision on the posted proposal'));
  }

  /** Sends the posts other processes left waiting, now and every minute until stop(). */
  start(): void {
    this.stop();
    const run = this.run;
    const round = (): Promise<void> =>
      this.sendWaiting().finally(() => {
        // A round that ends after stop() (or a later start) arms no next one.
        if (this.run === run) this.timer = this.options.timers.setTimeout(() => this.options.track(round()), SEND_WAITING_EVERY_MS);
      });
    this.options.track(round());
  }

  stop(): void {
    this.run++;
    if (this.timer !== undefined) this.options.timers.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private canPost(): boolean {
    return this.options.canPost?.(this.options.channel) ?? true;
  }

  private async send(text: string, proposal: Proposal | undefined): Promise<void> {
    if (!this.canPost()) {
      // No adapter here for the admin channel's platform: `cairn start` sends it.
      this.waiting.add(text, { proposalId: proposal?.id }, this.options.clock.now());
      this.options.logger.info({ proposalId: proposal?.id }, "no adapter here posts to the admin channel's platform: the post waits in the database for `cairn start`");
      return;
    }
    const message = await this.options.post(this.options.channel, text, proposal ? proposalButtons(proposal) : undefined);
    if (proposal && message) this.announced.set(proposal.id, { text, message });
  }

  private async sendWaiting(): Promise<void> {
    if (this.sendingWaiting || !this.canPost()) return;
    this.sendingWaiting = true;
    try {
      await this.showSettledElsewhere();
      await this.showSettledApprovals();
      for (const post of this.waiting.waiting()) await this.sendOne(post);
    } finally {
      this.sendingWaiting = false;
    }
  }

  private async sendOne(post: WaitingPost): Promise<void> {
    const { clock, proposals } = this.options;
    if (!this.waiting.claim(post.id, clock.now())) return;
    if (post.approvalId !== undefined) return this.askApproval(post, post.approvalId);
    // A proposal applied or rejected meanwhile (/proposals, `cairn skills approve`) needs no buttons any more.
    const proposal = post.proposalId === undefined ? undefined : proposals.get(post.proposalId);
    if (post.proposalId !== undefined && proposal?.status !== 'pending') {
      this.waiting.dropped(post.id, clock.now());
      return;
    }
    await this.sendClaimed(post, post.text, proposal ? proposalButtons(proposal) : undefined, (message) => {
      if (proposal) this.announced.set(proposal.id, { text: post.text, message });
    });
  }

  /**
   * Posted proposals another process settled (`cairn skills approve`, `/proposals` in `cairn chat`): this
   * process never heard of it, and their Apply and Reject buttons stayed, for an admin to press in vain.
   */
  private async showSettledElsewhere(): Promise<void> {
    for (const id of [...this.announced.keys()]) {
      const proposal = this.options.proposals.get(id);
      if (proposal?.status === 'pending') continue;
      const outcome =
        proposal?.status === 'applied'
          ? '✅ Applied outside this chat.'
          : proposal?.status === 'failed'
            ? `⚠️ Could not be applied: ${proposal.detail ?? 'unknown error'}`
            : proposal?.status === 'rejected'
              ? `🚫 ${capitalized(rejectionLine(proposal, undefined, 'outside this chat'))}.`
              : 'No longer waits for review.';
      await this.showSettled(id, outcome);
    }
  }

  /** A held command another process asks about: not once it is settled or its time is up; otherwise with the time really left. */
  private async askApproval(post: WaitingPost, approvalId: string): Promise<void> {
    const now = this.options.clock.now();
    const row = this.approvalRow(approvalId);
    if (!row || row.status !== 'pending' || row.expires_at <= now) {
      this.waiting.dropped(post.id, now);
      return;
    }
    const buttons = [
      { label: 'Approve', command: `/approve ${approvalId}` },
      { label: 'Deny', command: `/deny ${approvalId}` },
    ];
    await this.sendClaimed(post, withInstructions(post.text, approvalId, row.expires_at - now), buttons, (message) => this.askedApprovals.set(approvalId, { text: post.text, message }));
  }

  /** The posted held commands that were settled (or whose time ran out with nobody left to mark it) say how, without buttons. */
  private async showSettledApprovals(): Promise<void> {
    for (const [id, asked] of this.askedApprovals) {
      const row = this.approvalRow(id);
      const timeoutMs = row ? row.expires_at - row.requested_at : 0;
      const decision: ApprovalDecision | undefined =
        row && row.status !== 'pending'
          ? { id, status: row.status, decidedBy: row.decided_by ?? '', ...(row.decided_by_name ? { decidedByName: row.decided_by_name } : {}), ...(row.decision_note ? { note: row.decision_note } : {}) }
          : !row || row.expires_at + SEND_WAITING_EVERY_MS <= this.options.clock.now()
            ? { id, status: 'expired', decidedBy: '' }
            : undefined;
      if (!decision) continue;
      this.askedApprovals.delete(id);
      await asked.message.edit(`${asked.text}\n${outcomeLine(decision, timeoutMs)}`).catch((error: unknown) => this.options.logger.warn({ approvalId: id, err: describeError(error) }, 'could not show the decision on the posted approval request'));
    }
  }

  private approvalRow(id: string): ApprovalRow | undefined {
    return this.options.db
      .prepare<[string], ApprovalRow>('SELECT status, decided_by, decided_by_name, decision_note, requested_at, expires_at FROM command_approvals WHERE id = ?')
      .get(id);
  }

  /** Sends a claimed post; a failure leaves it for the next round, up to MAX_ATTEMPTS. */
  private async sendClaimed(post: WaitingPost, text: string, buttons: ReplyButton[] | undefined, posted: (message: PostedMessage) => void): Promise<void> {
    const { clock, logger } = this.options;
    try {
      const message = await this.options.post(this.options.channel, text, buttons);
      this.waiting.sent(post.id, clock.now());
      if (message) posted(message);
    } catch (error) {
      const givenUp = post.attempts + 1 >= MAX_ATTEMPTS;
      if (givenUp) this.waiting.dropped(post.id, clock.now());
      else this.waiting.failed(post.id, clock.now());
      logger.warn({ postId: post.id, proposalId: post.proposalId, attempts: post.attempts + 1, err: describeError(error) }, givenUp ? 'a waiting admin post kept failing and was given up' : 'could not send a waiting admin post; it is tried again in a minute');
    }
  }
}

interface ApprovalRow {
  status: ApprovalStatus;
  decided_by: string | null;
  decided_by_name: string | null;
  decision_note: string | null;
  requested_at: number;
  expires_at: number;
}
