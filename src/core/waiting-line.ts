/**
 * What a person hears when their message must wait in a busy conversation (a launch morning: dozens of
 * members mention Cairn in one channel, where turns run one at a time). Silence for minutes reads as
 * Cairn being broken, and a line without an end holds every message (and its files) in memory and
 * answers the last ones long after anyone cares. So:
 *
 * - in a group, a message behind at least BUSY_NOTE_AHEAD turns of others is told at once that Cairn is
 *   busy and how many are ahead (one behind a single turn is answered soon enough, and a note would only
 *   add noise; in a DM all that is ahead is the person's own);
 * - a conversation holds at most MAX_WAITING_TURNS waiting turns: the next message is refused with
 *   when to ask again, and nothing of it is kept;
 * - in a group one person holds at most MAX_PLACES_PER_PERSON of them, so someone sending message after
 *   message between everyone else's does not push them all back (messages in a row join one place:
 *   coalesce.ts; in a DM a person delays only themselves).
 *
 * Scheduled runs (nobody to tell, and they must run) and commands are never refused here; a slash
 * command's platform already shows that it is thinking, so it gets no note (the note would take the
 * place its answer has).
 */
import type { InboundMessage } from './message.js';
import type { Place } from './coalesce.js';

export const BUSY_NOTE_AHEAD = 2;
export const MAX_WAITING_TURNS = 50;
/** A member chatting in a busy group (a question, a command, a follow-up between others') may hold a few; five is a tenth of the line. */
export const MAX_PLACES_PER_PERSON = 5;

export type LineAnswer = { refuse: string } | { note: string } | undefined;

export function lineAnswer(message: InboundMessage, place: Place): LineAnswer {
  if (place.joins || message.scheduled || message.command) return undefined;
  if (place.waiting >= MAX_WAITING_TURNS) {
    const elsewhere = message.isDirect ? '' : ', or in a DM';
    return { refuse: `Cairn is too busy here right now: ${place.waiting} requests are waiting. Please ask again in a few minutes${elsewhere}.` };
  }
  if (message.isDirect) return undefined;
  if (place.mine >= MAX_PLACES_PER_PERSON) return { refuse: `You have ${place.mine} requests waiting here already; Cairn answers them in order. Send more once they are answered.` };
  if (place.ahead - place.mine >= BUSY_NOTE_AHEAD && !message.viaSlashCommand) return { note: `Cairn is busy here: ${place.ahead} requests are ahead of yours. It answers them in order; no need to send yours again.` };
  return undefined;
}
