/**
 * Who may talk to Cairn. Chat platforms are default-deny: a user must be on the
 * platform's allowlist, or an admin, or approved through DM pairing. The console
 * and headless callers (batch runs, tests) are local and always allowed.
 */
import type { InboundMessage } from '../core/message.js';
import type { PlatformsConfig } from '../config/platforms.js';
import type { PairingStore } from './pairing.js';

export type AccessDecision = 'allow' | 'pair' | 'ignore';

type GatedPlatform = 'telegram' | 'slack' | 'discord';
const GATED: ReadonlySet<string> = new Set<GatedPlatform>(['telegram', 'slack', 'discord']);

export class AccessPolicy {
  constructor(private readonly platforms: PlatformsConfig, private readonly pairing: PairingStore) {}

  decide(message: InboundMessage): AccessDecision {
    if (!GATED.has(message.platform)) return 'allow';
    const settings = this.platforms[message.platform as GatedPlatform];
    if (settings.allowedUsers.includes(message.senderId) || settings.adminUsers.includes(message.senderId)) return 'allow';
    if (this.pairing.isApproved(message.platform, message.senderId)) return 'allow';
    return message.isDirect ? 'pair' : 'ignore';
  }

  isAdmin(message: InboundMessage): boolean {
    if (message.platform === 'console') return true;
    if (!GATED.has(message.platform)) return false;
    return this.platforms[message.platform as GatedPlatform].adminUsers.includes(message.senderId);
  }
}
