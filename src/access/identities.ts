/**
 * Identity linking: one person, several platform accounts. `/link` on one platform
 * issues a one-time code; `/link <code>` on another joins the two under one person
 * key, so notes and history scoped by that key follow the person across platforms.
 */
import type { Db } from '../store/db.js';
import { CairnError } from '../core/errors.js';
import { codeCandidates, newCode } from './codes.js';

const LINK_CODE_VALIDITY_MS = 15 * 60_000;
/** A `user_id` that is the account of `@sender` on `@platform` (`slack:T1:U1` for Slack's `U1`, `telegram:555` for `555`). */
const ACCOUNT_OF_SENDER = "substr(user_id, 1, length(@platform) + 1) = @platform || ':' AND substr(user_id, -length(@sender) - 1) = ':' || @sender";

/** The platform of an account's key ("slack:T1:U1" is Slack's): every adapter builds keys, and conversation ids, that way. */
export function platformOf(userKey: string): string {
  return userKey.slice(0, Math.max(0, userKey.indexOf(':')));
}

export class IdentityLinks {
  private readonly statements;

  constructor(private readonly db: Db) {
    this.statements = {
      person: db.prepare<[string], { person_id: string }>('SELECT person_id FROM identity_links WHERE user_id = ?'),
      // The two accounts of a first link joined at once: the one whose key the person has comes first.
      members: db.prepare<[string], { user_id: string }>('SELECT user_id FROM identity_links WHERE person_id = ? ORDER BY linked_at, user_id <> person_id'),
      insertCode: db.prepare('INSERT INTO link_codes (code, user_id, created_at, expires_at) VALUES (?, ?, ?, ?)'),
      clearCodes: db.prepare('DELETE FROM link_codes WHERE user_id = ? OR expires_at <= ?'),
      code: db.prepare<[string], { code: string; user_id: string; expires_at: number }>('SELECT code, user_id, expires_at FROM link_codes WHERE code = ?'),
      useCode: db.prepare('DELETE FROM link_codes WHERE code = ?'),
      // An account already in the person keeps when it joined (the code's issuer, at each new link): the accounts
      // are listed in the order they joined, and the longest linked inherits the person key when its holder leaves.
      link: db.prepare(
        `INSERT INTO identity_links (user_id, person_id, linked_at) VALUES (?, ?, ?)
         ON CONFLICT (user_id) DO UPDATE SET linked_at = CASE WHEN person_id = excluded.person_id THEN linked_at ELSE excluded.linked_at END, person_id = excluded.person_id`,
      ),
      repoint: db.prepare('UPDATE identity_links SET person_id = ? WHERE person_id = ?'),
      unlink: db.prepare('DELETE FROM identity_links WHERE user_id = ?'),
      // substr, not LIKE, so no id is read as a pattern.
      linkedOn: db.prepare<{ platform: string; sender: string }, { user_id: string }>(`SELECT user_id FROM identity_links WHERE ${ACCOUNT_OF_SENDER} ORDER BY linked_at`),
      dropCodesOf: db.prepare<{ platform: string; sender: string }>(`DELETE FROM link_codes WHERE ${ACCOUNT_OF_SENDER}`),
    };
  }

  /** The person key for a platform identity (itself when not linked). */
  personOf(userId: string): string {
    return this.statements.person.get(userId)?.person_id ?? userId;
  }

  /** Every identity linked with this one, itself included. */
  identitiesOf(userId: string): string[] {
    const person = this.personOf(userId);
    const members = this.statements.members.all(person).map((row) => row.user_id);
    return members.length > 0 ? members : [userId];
  }

  /**
   * The linked accounts a platform's user id is (`U1` on Slack is `slack:T1:U1`, a key that also names
   * the workspace; `555` on Telegram is `telegram:555`): what `cairn pairing` names them by.
   */
  linkedAccountsOf(platform: string, senderId: string): string[] {
    return this.statements.linkedOn.all({ platform, sender: senderId }).map((row) => row.user_id);
  }

  /**
   * Spends the link codes a platform's user id issued (its access was revoked): a code it gave out just
   * before stayed valid for 15 minutes, and whoever redeemed it became that person and read their notes.
   */
  dropCodesOf(platform: string, senderId: string): number {
    return this.statements.dropCodesOf.run({ platform, sender: senderId }).changes;
  }

  issueCode(userId: string, now: number): string {
    const code = newCode();
    this.db.transaction(() => {
      this.statements.clearCodes.run(userId, now);
      this.statements.insertCode.run(code, userId, now, now + LINK_CODE_VALIDITY_MS);
    }).immediate();
    return code;
  }

  /**
   * Links the redeeming identity to the code's issuer; returns the shared person key and the one it replaced.
   * `seenByOthers`: the code was typed where others read it (a group); if it links nothing, it is spent all the same.
   */
  redeem(input: string, userId: string, now: number, { seenByOthers = false } = {}): { person: string; previous: string } {
    const row = codeCandidates(input).map((candidate) => this.statements.code.get(candidate)).find((found) => found !== undefined);
    if (!row || row.expires_at <= now) throw new CairnError('invalid_input', 'That link code is unknown or expired. Send /link on your other account to get a new one.');
    if (row.user_id === userId) {
      if (!seenByOthers) throw new CairnError('invalid_input', 'Send this code from your other account, not from the one that created it.');
      // Whoever here redeemed it next would become its owner and read their notes.
      this.statements.useCode.run(row.code);
      throw new CairnError('invalid_input', 'That is your own link code, and others here have seen it, so it no longer works. Send me /link in a direct message for a new one, and send that from your other account.');
    }
    const person = this.personOf(row.user_id);
    const previous = this.personOf(userId);
    this.db.transaction(() => {
      this.statements.useCode.run(row.code);
      this.statements.link.run(row.user_id, person, now);
      this.statements.link.run(userId, person, now);
      // The redeemer may already have linked accounts of its own: they join too.
      if (previous !== person) this.statements.repoint.run(person, previous);
    }).immediate();
    return { person, previous };
  }

  /**
   * Spends a code typed where others read it by an account that may not use Cairn there (its
   * message is ignored, so redeem never runs): whoever redeemed the code next would become its
   * owner and read their notes. True when there was such a code.
   */
  spendSeenCode(input: string): boolean {
    return codeCandidates(input).some((candidate) => this.statements.useCode.run(candidate).changes > 0);
  }

  /**
   * Detaches one identity; it keeps its own key from now on, and leaves the person's data with
   * the others. `heir`: set when the person key was this identity's and passed to another member,
   * so the person's data kept under the old key must follow it.
   */
  unlink(userId: string): { unlinked: boolean; heir?: string } {
    const person = this.personOf(userId);
    if (person === userId) {
      const others = this.statements.members.all(person).map((row) => row.user_id).filter((id) => id !== userId);
      if (others.length === 0) return { unlinked: false };
      // The person key was this identity's: hand it to the next member so the others stay together.
      const heir = others[0] as string;
      this.db.transaction(() => {
        this.statements.unlink.run(userId);
        this.statements.repoint.run(heir, person);
      }).immediate();
      return { unlinked: true, heir };
    }
    return { unlinked: this.statements.unlink.run(userId).changes > 0 };
  }
}
