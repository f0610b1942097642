/** Access control as the gateway sees it: allow, pair or ignore; admin or not; who the person is. */
import type { InboundMessage } from '../core/message.js';
import type { PlatformsConfig } from '../config/platforms.js';
import type { Db } from '../store/db.js';
import { AccessPolicy, type AccessDecision } from './policy.js';
import { PairingStore } from './pairing.js';
import { IdentityLinks } from './identities.js';

export type { AccessDecision } from './policy.js';

export class AccessControl {
  readonly pairing: PairingStore;
  readonly links: IdentityLinks;
  private readonly policy: AccessPolicy;

  constructor(db: Db, platforms: PlatformsConfig) {
    this.pairing = new PairingStore(db, platforms.pairingCodeMinutes * 60_000);
    this.links = new IdentityLinks(db);
    this.policy = new AccessPolicy(platforms, this.pairing);
  }

  decide(message: InboundMessage): AccessDecision {
    return this.policy.decide(message);
  }

  isAdmin(message: InboundMessage): boolean {
    return this.policy.isAdmin(message);
  }

  /** The person key for this message's sender (linked identities share one). */
  personOf(userId: string): string {
    return this.links.personOf(userId);
  }

  /**
   * `/link CODE` from an account without access, in a group: the message is not answered (so the
   * code is not redeemed), but the others there saw it, and one of them could redeem it to become
   * its owner and read their notes. The code is spent; true when there was one.
   */
  spendLinkCodeSeen(message: InboundMessage): boolean {
    if (message.isDirect || message.command?.name !== 'link' || message.command.args.trim() === '') return false;
    return this.links.spendSeenCode(message.command.args);
  }

  /** The reply an unknown user gets in a DM: their pairing code and what the operator runs. */
  pairingReply(message: InboundMessage, now: number): string {
    const request = this.pairing.request(message.platform, message.senderId, message.userName, now);
    // Someone who writes again gets the code they had, and the time it has left: an operator told
    // "the full hour" half an hour before it ends would hear "expired".
    const minutesLeft = Math.max(1, Math.ceil((request.expiresAt - now) / 60_000));
    return [
      "Hi! I don't know you yet, so I can't answer until the operator approves you.",
      `Your pairing code is ${request.code} (${request.created ? '' : 'still '}valid for ${minutesLeft} minute${minutesLeft === 1 ? '' : 's'}).`,
      `Ask the operator to run: npx cairn pairing approve ${request.code}`,
    ].join('\n');
  }
}
