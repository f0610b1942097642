/**
 * Forgetting notes: one procedure for `/forget` in chat and `cairn memory forget`. The notes go
 * (for "all", with the files the person sent that are kept); the conversations they started end,
 * since their prompt and history may hold what was deleted (others' part of a group one is still
 * condensed: notes/ended-sessions.ts); and in active conversations others started (a group), what
 * the note tools returned for them is withheld, so later turns there no longer see it. The tasks
 * they asked so far (learning/tasks.ts) lose their words, and past audit reports their quotes: audits
 * quote them, reflection reads them.
 */
import type { Clock } from '../core/clock.js';
import type { NoteStore } from './notes/store.js';
import { NOTE_TOOL_NAMES } from './notes/tools.js';
import type { SessionEndedListener } from './session-manager.js';
import type { SessionStore } from './sessions.js';
import { TaskStore } from '../learning/tasks.js';
import { forgetAuditQuotes } from '../learning/forgotten-quotes.js';

/** What a withheld tool result reads as from then on. */
export const WITHHELD_BY_FORGET = '(Deleted with /forget.)';

export interface ForgetOptions {
  notes: NoteStore;
  sessions: SessionStore;
  clock: Clock;
  /** Ends the person's active sessions (reason 'forgotten'), telling whoever condenses them; how many ended. */
  endSessions: (userId: string) => number;
  /** Deletes the files the person sent that are kept (core/kept-files.ts); how many. */
  forgetFiles?: ((userId: string) => number) | undefined;
  /** Where the audit reports are now (`<data>/audits`): their files lose the quotes too. */
  auditsDir: string;
}

export interface Forgotten {
  /** Notes deleted (for one id, with the older versions it replaced); 0 for an id the person has no note under. */
  deleted: number;
  /** Kept files deleted. */
  files: number;
  /** Conversations ended. */
  ended: number;
}

export type ForgetNotes = (userId: string, target: number | 'all') => Forgotten;

export function forgetNotes(options: ForgetOptions): ForgetNotes {
  const tasks = new TaskStore(options.notes.db);
  return (userId, target) => {
    const now = options.clock.now();
    const deleted = target === 'all' ? options.notes.forgetAll(userId, now) : options.notes.forget(userId, target, now);
    // An id that is not theirs deleted nothing, so nothing shown anywhere has gone.
    if (target !== 'all' && deleted === 0) return { deleted, files: 0, ended: 0 };
    const files = target === 'all' ? (options.forgetFiles?.(userId) ?? 0) : 0;
    const ended = options.endSessions(userId);
    forgetAuditQuotes(options.notes.db, tasks.forgetAskedBy(userId, now), options.auditsDir);
    options.sessions.withholdToolResults(userId, NOTE_TOOL_NAMES, WITHHELD_BY_FORGET);
    return { deleted, files, ended };
  };
}

/**
 * `endSessions` for a process without a session manager (the CLI): ends them in the store and
 * tells `onEnded` (the notes layer, which leaves others' part of a group for the next start).
 */
export function endSessionsInStore(sessions: SessionStore, clock: Clock, onEnded: SessionEndedListener): (userId: string) => number {
  return (userId) =>
    sessions.activeOf(userId).filter((session) => {
      if (!sessions.end(session.id, 'forgotten', clock.now())) return false;
      onEnded({ ...session, status: 'ended' }, 'forgotten');
      return true;
    }).length;
}
