/**
 * Decides which session a message belongs to: the conversation's active session,
 * unless it has been idle too long, in which case that one ends and a new one
 * starts with a freshly built prefix. Listeners hear about every ended session
 * (the notes layer condenses them into memory).
 */
import type { Clock } from '../core/clock.js';
import { describeError } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { InboundMessage } from '../core/message.js';
import { buildPrefix, type IdentityOptions, type PrefixSection } from '../core/prompt.js';
import type { EndReason, Session, SessionStore, StoredMessage } from './sessions.js';

export type SessionEndedListener = (session: Session, reason: EndReason) => void;

export interface SessionManagerOptions {
  store: SessionStore;
  clock: Clock;
  logger: Logger;
  idleMs: number;
  identity: IdentityOptions;
  /** Model for a conversation (per-channel overrides); undefined means the default. */
  modelFor?: (conversationId: string) => string | undefined;
  instructionsFor?: (conversationId: string) => string | undefined;
  /**
   * Whether a turn runs in the conversation now. A long step (a command, an approval, a slow
   * model) appends nothing, so the session looks idle; ending it would condense it without the
   * turn's answer and start the next message afresh.
   */
  turnRunning?: (conversationId: string) => boolean;
  /** The time zone of a message's sender (time-zones/): a session's first day is given in that of whoever started it. */
  zoneOf?: (message: InboundMessage) => string;
  /** The language a message's sender's app is set to (languages/): a direct chat's prefix says it. */
  languageOf?: (message: InboundMessage) => string | undefined;
}

export class SessionManager {
  private readonly sections: PrefixSection[] = [];
  private readonly listeners: SessionEndedListener[] = [];

  constructor(private readonly options: SessionManagerOptions) {}

  get store(): SessionStore {
    return this.options.store;
  }

  addPrefixSection(section: PrefixSection): void {
    this.sections.push(section);
  }

  onEnded(listener: SessionEndedListener): void {
    this.listeners.push(listener);
  }

  /** The session this message continues, or a new one. */
  resolve(message: InboundMessage): Session {
    const now = this.options.clock.now();
    const current = this.options.store.active(message.conversationId);
    if (current && now - current.lastActiveAt < this.options.idleMs) return this.withCurrentModel(current);
    if (current) this.end(current, 'idle');
    const { conversationId } = message;
    const startedAt = now;
    const instructions = this.options.instructionsFor?.(conversationId) ?? this.options.identity.instructions;
    const prefix = buildPrefix({ ...this.options.identity, instructions }, this.sections, {
      userId: message.userId,
      userName: message.userName,
      conversationId,
      platform: message.platform,
      isDirect: message.isDirect,
      firstMessage: message.text,
      startedAt,
      timeZone: this.options.zoneOf?.(message),
      language: this.options.languageOf?.(message),
    });
    return this.options.store.start(
      { conversationId, platform: message.platform, userId: message.userId, prefix, model: this.options.modelFor?.(conversationId), isDirect: message.isDirect },
      startedAt,
    );
  }

  /**
   * The session on the conversation's model as it is now. /model switches the session too, but a
   * channel's model changed in the config at a restart reached only sessions started after it: a
   * conversation that never went idle kept the old one (while /model named the new), for good.
   */
  private withCurrentModel(session: Session): Session {
    if (!this.options.modelFor) return session;
    const model = this.options.modelFor(session.conversationId);
    if (model === session.model) return session;
    this.options.store.setModel(session.id, model);
    return { ...session, model };
  }

  /** The conversation's active session with every message so far (compressed ones too), for /export. */
  current(conversationId: string): { session: Session; messages: StoredMessage[] } | undefined {
    const session = this.options.store.active(conversationId);
    return session ? { session, messages: this.options.store.allMessages(session.id) } : undefined;
  }

  /**
   * The conversation's last session when it ended for being idle, with every message, for /export:
   * the person's chat still shows it, and no message of theirs started another. Never one ended by
   * /new, /forget or /unlink (what was put away stays away) or moved elsewhere.
   */
  endedIdle(conversationId: string): { session: Session; messages: StoredMessage[] } | undefined {
    const session = this.options.store.lastEnded(conversationId);
    return session?.endReason === 'idle' ? { session, messages: this.options.store.allMessages(session.id) } : undefined;
  }

  /** Ends the conversation's active session (/new); false when there was none. */
  endConversation(conversationId: string, reason: EndReason): boolean {
    const current = this.options.store.active(conversationId);
    return current ? this.end(current, reason) : false;
  }

  /**
   * Ends the user's active sessions (`/forget`; `/unlink`, on the platform of the account that left):
   * their prompt and history may hold what was deleted, or what is no longer theirs, and such a
   * session is not condensed into notes. Returns how many ended.
   */
  endSessionsOf(userId: string, reason: EndReason, platform?: string): number {
    const sessions = this.options.store.activeOf(userId).filter((session) => platform === undefined || session.platform === platform);
    return sessions.filter((session) => this.end(session, reason)).length;
  }

  /**
   * Ends every session idle past the timeout (at start-up and periodically), except where a turn still runs.
   * A database that cannot be written now (locked past the busy timeout by another process, a full disk)
   * leaves the rest for the next sweep: thrown from the start's timer, it ended the process.
   */
  sweepIdle(): Session[] {
    const cutoff = this.options.clock.now() - this.options.idleMs;
    const running = this.options.turnRunning ?? (() => false);
    const ended: Session[] = [];
    try {
      for (const session of this.options.store.idleSince(cutoff)) {
        if (!running(session.conversationId) && this.end(session, 'idle')) ended.push(session);
      }
    } catch (error) {
      // Stopped at the first failure: each further try would block the process for the busy timeout again.
      this.options.logger.warn({ err: describeError(error) }, 'idle sweep could not end sessions now; the next sweep tries again');
    }
    return ended;
  }

  private end(session: Session, reason: EndReason): boolean {
    if (!this.options.store.end(session.id, reason, this.options.clock.now())) return false;
    for (const listener of this.listeners) {
      try {
        listener({ ...session, status: 'ended' }, reason);
      } catch (error) {
        // A listener's failure (memory extraction, say) must not stop the conversation.
        this.options.logger.error({ sessionId: session.id, err: describeError(error) }, 'session-ended listener failed');
      }
    }
    return true;
  }
}
