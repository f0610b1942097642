/**
 * Where a note was learned, and so where it may be used. What a person tells Cairn in a direct
 * chat is for that chat: in a group, everyone there reads the answers, so `memory_search` there
 * finds only the person's notes learned in that same channel or group (any of its threads, topics
 * and members' own sessions), and says how many others it held back. A note with no conversation
 * of its own (imported without one, added from the CLI) has no place to be private to and is used
 * everywhere; one whose conversation this database does not know (imported from another Cairn) is
 * kept to direct chats. Condensing a group conversation into notes (extraction.ts) shows the aux
 * model, and reconciles against, only the notes usable there too.
 */
import type { Db } from '../../store/db.js';
import type { Note } from './types.js';

/**
 * The channel or group a conversation is in, which everyone in it reads: the conversation id up to
 * its channel (`slack:T1:C1` of the thread `slack:T1:C1:1700000000.1`, `discord:<guild>:<channel>`)
 * or, on Telegram, its chat (`telegram:-100` of the topic `telegram:-100:7` and of the member's own
 * session `telegram:-100:42`). Other platforms' ids are their own place.
 */
export function placeOf(conversationId: string): string {
  const parts = conversationId.split(':');
  const kept = PLACE_PARTS[parts[0] ?? ''];
  return kept === undefined ? conversationId : parts.slice(0, kept).join(':');
}

/** How many parts of a platform's conversation id name its channel or group. */
const PLACE_PARTS: Record<string, number> = { slack: 3, discord: 3, telegram: 2 };

/**
 * Whether a conversation id is plainly a direct chat, for a session started before Cairn recorded
 * which it was (sessions.is_direct NULL): the console's; Discord's `discord:dm:<channel>`; a Telegram
 * chat with a positive id (a person's; groups' are negative); Cairn's own Slack DM (a `D…` channel),
 * not a person's conversation of their own in a DM of others (`:private-<user>`, no direct chat).
 * Any other is taken for a group: wrongly, that only shows the model fewer of the person's notes.
 */
export function looksDirect(conversationId: string): boolean {
  const [platform, first, second, third] = conversationId.split(':');
  switch (platform) {
    case 'console':
      return true;
    case 'discord':
      return first === 'dm';
    case 'telegram':
      return /^[1-9]\d*$/.test(first ?? '');
    case 'slack':
      return second?.startsWith('D') === true && !third?.startsWith('private-');
    default:
      return false;
  }
}

/**
 * Splits notes into those learned in a group conversation and those learned elsewhere. A note's
 * older versions count too: an update written in the group (condensed from what was said there,
 * with the person's other notes beside it) may carry what the version it replaced said in private.
 */
export class NotePlaces {
  private readonly sourcesOf;

  constructor(db: Db) {
    // Each note's own session and those of every version before it, with their conversations (none: unknown here).
    this.sourcesOf = db.prepare<[string], { note: number; source: string; conversation: string | null }>(
      `WITH RECURSIVE versions(note, id, source) AS (
         SELECT n.id, n.id, n.source_session FROM notes n WHERE n.id IN (SELECT value FROM json_each(?))
         UNION
         SELECT v.note, n.id, n.source_session FROM notes n JOIN versions v ON n.superseded_by = v.id WHERE n.superseded_by IS NOT NULL
       )
       SELECT v.note, v.source, s.conversation_id AS conversation FROM versions v LEFT JOIN sessions s ON s.id = v.source WHERE v.source IS NOT NULL`,
    );
  }

  /** The hits whose notes may be used in the group conversation `conversationId`, and how many were held back. */
  usableIn<T extends { note: Note }>(conversationId: string, hits: readonly T[]): { usable: T[]; heldBack: number } {
    if (hits.length === 0) return { usable: [], heldBack: 0 };
    const here = placeOf(conversationId);
    const elsewhere = new Set<number>();
    for (const row of this.sourcesOf.all(JSON.stringify(hits.map((hit) => hit.note.id)))) {
      if (row.conversation === null || placeOf(row.conversation) !== here) elsewhere.add(row.note);
    }
    const usable = hits.filter((hit) => !elsewhere.has(hit.note.id));
    return { usable, heldBack: hits.length - usable.length };
  }
}
