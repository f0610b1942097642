/**
 * DM pairing: an unknown user who writes to the bot gets a code; an operator
 * approves it from the CLI (another process). Approvals live in SQLite, so the
 * running bot honours one on the very next message.
 */
import type { Db } from '../store/db.js';
import { CairnError } from '../core/errors.js';
import { codeCandidates, newCode } from './codes.js';

export interface PairingRequest {
  code: string;
  platform: string;
  userId: string;
  userName: string;
  createdAt: number;
  expiresAt: number;
}

interface PairingRow {
  code: string;
  platform: string;
  user_id: string;
  user_name: string;
  created_at: number;
  expires_at: number;
  approved_at: number | null;
}

export interface ApprovedUser {
  platform: string;
  userId: string;
  userName: string | undefined;
  approvedAt: number;
  approvedBy: string;
}

export class PairingStore {
  private readonly statements;

  constructor(private readonly db: Db, private readonly validityMs: number) {
    this.statements = {
      pendingFor: db.prepare<[string, string, number], PairingRow>(
        'SELECT * FROM pairing_requests WHERE platform = ? AND user_id = ? AND approved_at IS NULL AND expires_at > ? ORDER BY created_at DESC LIMIT 1',
      ),
      insert: db.prepare('INSERT INTO pairing_requests (code, platform, user_id, user_name, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)'),
      byCode: db.prepare<[string], PairingRow>('SELECT * FROM pairing_requests WHERE code = ?'),
      pending: db.prepare<[number], PairingRow>('SELECT * FROM pairing_requests WHERE approved_at IS NULL AND expires_at > ? ORDER BY created_at'),
      markApproved: db.prepare('UPDATE pairing_requests SET approved_at = ?, approved_by = ? WHERE code = ?'),
      approve: db.prepare('INSERT OR REPLACE INTO approved_users (platform, user_id, approved_at, approved_by) VALUES (?, ?, ?, ?)'),
      isApproved: db.prepare<[string, string], { one: number }>('SELECT 1 AS one FROM approved_users WHERE platform = ? AND user_id = ?'),
      revoke: db.prepare('DELETE FROM approved_users WHERE platform = ? AND user_id = ?'),
      // The name comes from the request that was approved (approved_users keeps only ids).
      approved: db.prepare<[], { platform: string; user_id: string; approved_at: number; approved_by: string; user_name: string | null }>(
        `SELECT a.platform, a.user_id, a.approved_at, a.approved_by,
           (SELECT r.user_name FROM pairing_requests r WHERE r.platform = a.platform AND r.user_id = a.user_id AND r.approved_at IS NOT NULL ORDER BY r.approved_at DESC LIMIT 1) AS user_name
         FROM approved_users a ORDER BY a.approved_at`,
      ),
      // Expired codes stay a day so an operator who types one late hears 'expired', not 'unknown'.
      expire: db.prepare('DELETE FROM pairing_requests WHERE approved_at IS NULL AND expires_at <= ?'),
    };
  }

  /** The user's pending code, or a new one; `created` says whether it is new. */
  request(platform: string, userId: string, userName: string, now: number): PairingRequest & { created: boolean } {
    const existing = this.statements.pendingFor.get(platform, userId, now);
    if (existing) return { ...toRequest(existing), created: false };
    this.statements.expire.run(now - 86_400_000);
    const code = newCode();
    this.statements.insert.run(code, platform, userId, userName, now, now + this.validityMs);
    return { code, platform, userId, userName, createdAt: now, expiresAt: now + this.validityMs, created: true };
  }

  pending(now: number): PairingRequest[] {
    return this.statements.pending.all(now).map(toRequest);
  }

  /** Approves a code; throws a CairnError saying why when it cannot. */
  approve(input: string, approvedBy: string, now: number): PairingRequest {
    const candidates = codeCandidates(input);
    const row = candidates.map((candidate) => this.statements.byCode.get(candidate)).find((found) => found !== undefined);
    if (!row) throw new CairnError('not_found', `No pairing request has the code ${candidates[0]}. Run \`cairn pairing list\` to see pending codes.`);
    const code = row.code;
    if (row.approved_at !== null) {
      if (this.isApproved(row.platform, row.user_id)) throw new CairnError('invalid_input', `The code ${code} was already approved.`);
      // "Already approved" would tell the operator the user is in while they are not.
      throw new CairnError('invalid_input', `The code ${code} was approved, but ${row.platform} user ${row.user_id} was revoked since. To let them in again, approve their new code: they get one by messaging the bot (\`cairn pairing list\` shows it).`);
    }
    if (row.expires_at <= now) {
      // A user who wrote again after it expired has a newer code (or is in by it): asking them to write again sends the operator round in a circle.
      const who = `${row.platform} user ${row.user_id} (${row.user_name})`;
      if (this.isApproved(row.platform, row.user_id)) throw new CairnError('invalid_input', `The code ${code} expired, but ${who} was let in since with a newer code: nothing to do.`);
      const newer = this.statements.pendingFor.get(row.platform, row.user_id, now);
      if (newer) throw new CairnError('invalid_input', `The code ${code} expired, and ${who} has a newer one since: \`cairn pairing approve ${newer.code}\` lets them in.`);
      throw new CairnError('invalid_input', `The code ${code} expired; ask the user to message the bot again for a new one.`);
    }
    this.db.transaction(() => {
      this.statements.markApproved.run(now, approvedBy, code);
      this.statements.approve.run(row.platform, row.user_id, now, approvedBy);
    }).immediate();
    return toRequest(row);
  }

  isApproved(platform: string, userId: string): boolean {
    return this.statements.isApproved.get(platform, userId) !== undefined;
  }

  /** Everyone let in by pairing (not the config's allowlists), oldest first. */
  approved(): ApprovedUser[] {
    return this.statements.approved.all().map((row) => ({ platform: row.platform, userId: row.user_id, userName: row.user_name ?? undefined, approvedAt: row.approved_at, approvedBy: row.approved_by }));
  }

  revoke(platform: string, userId: string): boolean {
    return this.statements.revoke.run(platform, userId).changes > 0;
  }
}

function toRequest(row: PairingRow): PairingRequest {
  return { code: row.code, platform: row.platform, userId: row.user_id, userName: row.user_name, createdAt: row.created_at, expiresAt: row.expires_at };
}
