/**
 * Posts to the admin channel that wait for a process able to send them. `cairn chat` and the CLI
 * have no adapter for CAIRN_ADMIN_CHANNEL's platform, yet they run audits (one they claimed every N
 * tasks, `cairn audit run`), make skill proposals and hold commands for approval with nobody to ask
 * (a piped chat): what `cairn start` would post, they leave here (migrations 027, 029), and
 * `cairn start` sends it when it starts and every minute while it runs.
 *
 * A post is claimed with one UPDATE before it is sent, so two processes never both send it. One whose
 * send failed waits again (up to MAX_ATTEMPTS); one cut off mid-send (a crash) is not sent again: the
 * same post twice is worse than one missing, which `cairn audit show` and /proposals still hold.
 */
import type { Db } from '../store/db.js';

/** Sends that failed before a post is given up (a removed channel, a bot no longer in it). */
export const MAX_ATTEMPTS = 10;

export interface WaitingPost {
  id: number;
  text: string;
  /** The proposal the post announces (its buttons come from it), if it is one. */
  proposalId: number | undefined;
  /** The held command the post asks about (its Approve and Deny buttons, the time left), if it is one. */
  approvalId: string | undefined;
  createdAt: number;
  attempts: number;
}

interface PostRow {
  id: number;
  text: string;
  proposal_id: number | null;
  approval_id: string | null;
  created_at: number;
  attempts: number;
}

export class AdminPosts {
  private readonly statements;

  constructor(db: Db) {
    this.statements = {
      add: db.prepare('INSERT INTO admin_posts (text, proposal_id, approval_id, created_at) VALUES (?, ?, ?, ?)'),
      waiting: db.prepare<[], PostRow>("SELECT id, text, proposal_id, approval_id, created_at, attempts FROM admin_posts WHERE state = 'waiting' ORDER BY id"),
      claim: db.prepare("UPDATE admin_posts SET state = 'sending', attempts = attempts + 1, updated_at = ? WHERE id = ? AND state = 'waiting'"),
      settle: db.prepare("UPDATE admin_posts SET state = ?, updated_at = ? WHERE id = ? AND state = 'sending'"),
    };
  }

  /** `about`: the proposal it announces, or the held command it asks about (migration 029). */
  add(text: string, about: { proposalId?: number | undefined; approvalId?: string | undefined }, now: number): void {
    this.statements.add.run(text, about.proposalId ?? null, about.approvalId ?? null, now);
  }

  /** Posts waiting to be sent, oldest first. */
  waiting(): WaitingPost[] {
    return this.statements.waiting
      .all()
      .map((row) => ({ id: row.id, text: row.text, proposalId: row.proposal_id ?? undefined, approvalId: row.approval_id ?? undefined, createdAt: row.created_at, attempts: row.attempts }));
  }

  /** Takes a waiting post for this process to send: false when another process took it first. */
  claim(id: number, now: number): boolean {
    return this.statements.claim.run(now, id).changes > 0;
  }

  sent(id: number, now: number): void {
    this.statements.settle.run('sent', now, id);
  }

  /** Not to be sent: its proposal was settled meanwhile, or its sends kept failing. */
  dropped(id: number, now: number): void {
    this.statements.settle.run('dropped', now, id);
  }

  /** Its send failed: it waits for the next try. */
  failed(id: number, now: number): void {
    this.statements.settle.run('waiting', now, id);
  }
}
