/**
 * Who speaks in a group conversation, as the model reads it: the user message's `name` field, and the
 * person's name in their message's words where that field cannot hold it.
 */
import type { InboundMessage } from './message.js';
import { foldForSearch } from '../memory/notes/fold.js';

/**
 * OpenAI's `name` field allows only [a-zA-Z0-9_-]{1,64}: accents come off (Jürgen is Jurgen), letters
 * no accent makes are written as search writes them (Turkish ı, ß, ø, ł: "Çağrı Yılmaz" was
 * "Cagr_Y_lmaz", "Jürgen Groß" "Jurgen_Gro"), and a name in another script (Дмитрий, 山田) becomes one
 * per person from their id, so two people never share one name (every such name was "user").
 */
export function speakerName(message: Pick<InboundMessage, 'userName' | 'senderId'>): string {
  const name = ascii(message.userName);
  return (name || `user_${ascii(message.senderId)}`).slice(0, 64);
}

/**
 * The message with its sender's name before it, where the `name` field lost letters of it (山田 goes as
 * `user_77`, "Дмитрий Smith" as `Smith`): the model did not learn what the others there call them, so
 * "what did 山田 say?" found no one, and it answered them as "user_77".
 */
export function withSpeakerShown(content: string, message: Pick<InboundMessage, 'userName'>): string {
  return OTHER_SCRIPT_LETTER.test(foldForSearch(message.userName)) ? `[From ${message.userName.trim()}]\n${content}` : content;
}

/** A letter left after folding that is not a Latin one: it has no place in the `name` field. */
const OTHER_SCRIPT_LETTER = /(?![a-zA-Z])\p{L}/u;

function ascii(text: string): string {
  return foldForSearch(text)
    .replace(/[^a-zA-Z0-9_-]+/g, '_')
    .replace(/^_+|_+$/g, '');
}
