/**
 * A message that replies to another ("@Cairn what do you make of this?") means that other
 * message: the model is shown it before the text, or the part of it the sender quoted.
 * Cairn's own earlier answer is shown only in short, to say which one is meant: the whole
 * of it is usually in the conversation already.
 */
import type { InboundMessage } from './message.js';

/** Most of another person's message shown. */
const OTHERS_CHARS = 2_000;
/** Most of Cairn's own earlier message shown. */
const OWN_CHARS = 300;

export function withReplyContext(text: string, replyingTo: InboundMessage['replyingTo']): string {
  const quoted = replyingTo?.text.trim();
  if (!replyingTo || !quoted) return text;
  const shown = excerpt(quoted, replyingTo.byBot ? OWN_CHARS : OTHERS_CHARS);
  const whose = replyingTo.byBot ? 'your earlier message' : `a message by ${replyingTo.author}`;
  return `[In reply to ${whose}: "${shown}"]${text.trim() ? `\n${text}` : ''}`;
}

/** `text` within `max` characters, cut at a word where it can be, the cut marked. */
function excerpt(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = text.slice(0, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.8 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
