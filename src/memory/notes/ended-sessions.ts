/**
 * Which ended sessions are condensed into notes. Most are. One that `/forget` or `/unlink`
 * ended held what the person no longer wants kept, or no longer owns (its prompt had their
 * notes), so their part of it is never condensed; but a group conversation they started
 * holds other members' words too, and those are still condensed for those members:
 * extraction leaves out what the forgetting person said before their forget (`forgottenAt`)
 * and, after `/unlink`, whatever the session's starter said (see extraction.ts).
 */
import type { Db } from '../../store/db.js';
import type { EndReason, Session } from '../sessions.js';

export class EndedSessions {
  private readonly s;

  constructor(db: Db) {
    this.s = {
      othersSpoke: db
        .prepare<[string, string]>("SELECT EXISTS (SELECT 1 FROM messages WHERE session_id = ? AND role = 'user' AND user_id IS NOT NULL AND user_id <> ?)")
        .pluck(),
      markPending: db.prepare<[string]>("UPDATE sessions SET notes_state = 'pending' WHERE id = ? AND status = 'ended'"),
    };
  }

  /** Whether the session, ended for `reason`, has anything to condense. */
  condenses(session: Pick<Session, 'id' | 'userId'>, reason: EndReason): boolean {
    if (reason !== 'forgotten' && reason !== 'unlinked') return true;
    return this.s.othersSpoke.get(session.id, session.userId) === 1;
  }

  /** Leaves the session for the next Cairn that starts to condense (a process without an extraction queue: the CLI). */
  markPending(sessionId: string): void {
    this.s.markPending.run(sessionId);
  }
}
