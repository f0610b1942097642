/**
 * Fits a conversation's messages into the tokens a request leaves them. What gives way, in
 * order: the tool results of earlier turns (oldest first, each replaced by a note), then earlier
 * turns whole (oldest first), then the current turn's older results, and last the middle of its
 * newest result. So the question and answer before a tool-heavy turn stay in view, and a tool
 * call always keeps a result, which providers require.
 */
import type { ChatMessage } from '../model/types.js';
import { estimateMessageTokens, estimateTokens } from '../memory/tokens.js';
import { count, headOf, tailOf } from './text.js';

/** What a message costs beside its content (role and separators), as estimateMessageTokens counts it. */
const MESSAGE_OVERHEAD = 4;
/** The least of a result kept when even the question leaves it no room: the note on how to read it, and a little of it. */
const MIN_RESULT_TOKENS = 64;

export function fitBudget(messages: readonly ChatMessage[], budget: number): ChatMessage[] {
  const sizes = messages.map(estimateMessageTokens);
  if (sum(sizes) <= budget) return [...messages];
  const current = Math.max(0, messages.findLastIndex((message) => message.role === 'user'));
  // The earliest turn that fits beside the current one with every earlier result left out; a turn is dropped only when that fails.
  let start = current;
  let least = sum(sizes.slice(current));
  for (let i = current - 1; i >= 0 && least <= budget; i--) {
    least += Math.min(sizes[i] ?? 0, leftOutSize(messages[i] as ChatMessage));
    if (least <= budget && messages[i]?.role === 'user') start = i;
  }
  if (start === current) return fitTurn(messages.slice(current), budget);
  return leaveOutResults(messages.slice(start), budget, current - start);
}

/** One turn alone: its older results left out, then the newest cut in the middle to fit what is left. */
function fitTurn(turn: ChatMessage[], budget: number): ChatMessage[] {
  const newest = turn.findLastIndex((message) => message.role === 'tool');
  // The newest result is what the model is about to read: it goes last, and only in part.
  const fitted = leaveOutResults(turn, budget, newest);
  const total = sum(fitted.map(estimateMessageTokens));
  const result = fitted[newest];
  if (total <= budget || result?.role !== 'tool') return fitted;
  const room = budget - (total - estimateMessageTokens(result)) - MESSAGE_OVERHEAD;
  fitted[newest] = { ...result, content: cutMiddle(result.content, Math.max(room, MIN_RESULT_TOKENS)) };
  return fitted;
}

/** Replaces the tool results before `end`, oldest first, with a note saying what was left out, until the messages fit (or none is left). */
function leaveOutResults(messages: readonly ChatMessage[], budget: number, end: number): ChatMessage[] {
  const fitted = [...messages];
  let total = sum(fitted.map(estimateMessageTokens));
  for (let i = 0; i < end && total > budget; i++) {
    const message = fitted[i] as ChatMessage;
    if (message.role !== 'tool') continue;
    const note = leftOut(message);
    const saved = estimateMessageTokens(message) - estimateMessageTokens(note);
    if (saved <= 0) continue;
    total -= saved;
    fitted[i] = note;
  }
  return fitted;
}

function leftOut(message: Extract<ChatMessage, { role: 'tool' }>): ChatMessage {
  return { ...message, content: `[This result (${count(message.content.length)} characters) was left out to fit the context window. Call the tool again if you need it.]` };
}

/** What a message takes at the least: a tool result as its note, anything else whole. */
function leftOutSize(message: ChatMessage): number {
  return estimateMessageTokens(message.role === 'tool' ? leftOut(message) : message);
}

/**
 * `text` within `maxTokens`: its start and end, with the middle replaced by a note that says how
 * much is missing and how to read it (a log's or file's summary and errors are usually at its ends).
 */
export function cutMiddle(text: string, maxTokens: number): string {
  const tokens = estimateTokens(text);
  if (tokens <= maxTokens) return text;
  const charsPerToken = text.length / tokens;
  let keep = Math.floor((maxTokens - estimateTokens(gapNote(text.length))) * charsPerToken);
  for (;;) {
    const cut = withGap(text, Math.max(keep, 0));
    if (keep <= 0 || estimateTokens(cut) <= maxTokens) return cut;
    keep = Math.floor(keep * 0.9);
  }
}

function withGap(text: string, keep: number): string {
  const head = headOf(text, Math.ceil(keep * 0.6));
  const tail = tailOf(text, keep - head.length);
  return `${head}\n${gapNote(text.length - head.length - tail.length)}\n${tail}`;
}

function gapNote(omitted: number): string {
  return `[… ${count(omitted)} characters cut from the middle to fit the context window. To read them, call the tool again for a smaller part: a range of lines, a search or a filter.]`;
}

function sum(values: readonly number[]): number {
  return values.reduce((total, value) => total + value, 0);
}
