/**
 * A message that replies to another ("@Cairn what do you make of this?") means that other
 * message: the model is shown it before the text, or the part of it the sender quoted.
 * Cairn's own earlier answer is shown only in short, to say which one is meant: the whole
 * of it is usually in the conversation already.
 */
import type { InboundMessage, ThreadBefore } from './message.js';
import { headOf } from './text.js';

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

/** Most of the thread shown, and of one message in it: the newest messages are kept. */
const THREAD_CHARS = 8_000;
const THREAD_MESSAGE_CHARS = 1_500;

/** What others said in the thread since Cairn last spoke there, before the text. */
export function withThreadContext(text: string, earlier: ThreadBefore | undefined): string {
  const lines = (earlier?.messages ?? []).filter((message) => message.text.trim()).map((message) => `${message.author}: ${excerpt(message.text.trim(), THREAD_MESSAGE_CHARS)}`);
  if (lines.length === 0) return text;
  const kept: string[] = [];
  let used = 0;
  for (const line of [...lines].reverse()) {
    if (used + line.length > THREAD_CHARS && kept.length > 0) break;
    kept.unshift(line);
    used += line.length + 1;
  }
  const leftOut = kept.length < lines.length || earlier?.olderLeftOut === true;
  const head = leftOut ? '[Earlier in this thread (older messages left out):' : '[Earlier in this thread:';
  return `${head}\n${kept.join('\n')}]${text.trim() ? `\n${text}` : ''}`;
}

/** `text` within `max` characters, cut at a word where it can be, the cut marked. */
function excerpt(text: string, max: number): string {
  if (text.length <= max) return text;
  const cut = headOf(text, max);
  const space = cut.lastIndexOf(' ');
  return `${(space > max * 0.8 ? cut.slice(0, space) : cut).trimEnd()}…`;
}
