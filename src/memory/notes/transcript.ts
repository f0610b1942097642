/**
 * The text an extraction reads: one transcript per person who spoke in the session.
 * In a group conversation each speaker's transcript holds only their own messages and
 * the agent's replies to them, so notes about one person are never drawn from what
 * another said: a message that quotes another member's (a reply, a thread mention) counts
 * with the sender's own words only. Secrets are masked before the aux model sees anything.
 */
import type { ChatMessage } from '../../model/types.js';
import type { StoredMessage } from '../sessions.js';
import { truncateMiddle } from '../../tools/truncate.js';
import type { RedactText } from './redact.js';
import { estimateTokens } from '../tokens.js';

export interface SpeakerTranscript {
  userId: string;
  /** One line per message, `User:` / `Assistant:` / `Tool result:`, oldest first (cut to a request's room with `newestThatFit`). */
  lines: string[];
  /** What the user wrote, message by message, oldest first: it finds their related existing notes. */
  userMessages: string[];
}

export interface TranscriptOptions {
  redact: RedactText;
  /** Messages at or before this time are left out (the user said "forget all" after them). */
  forgottenAt?: (userId: string) => number | undefined;
}

const MAX_TRANSCRIPT_CHARS = 40_000;
const MAX_USER_MESSAGE_CHARS = 4_000;
const MAX_TOOL_CHARS = 600;
/** Stands for what the sender replied to: the model knows they meant something, and that it was not theirs to learn from. */
export const QUOTED_LEFT_OUT = '[replying to earlier messages, left out here]';

export function speakerTranscripts(messages: readonly StoredMessage[], options: TranscriptOptions): SpeakerTranscript[] {
  const lines = new Map<string, string[]>();
  const userTexts = new Map<string, string[]>();
  let speaker: string | undefined;
  for (const stored of messages) {
    const { message } = stored;
    if (message.role === 'user') speaker = stored.userId;
    if (speaker === undefined) continue;
    const forgottenAt = options.forgottenAt?.(speaker);
    if (forgottenAt !== undefined && stored.createdAt <= forgottenAt) continue;
    // Only the sender's own words: the message they replied to, or the thread before it, may be another member's.
    const said = message.role === 'user' ? stored.said : undefined;
    const line = said === undefined ? render(message) : `User: ${QUOTED_LEFT_OUT} ${truncateMiddle(said, MAX_USER_MESSAGE_CHARS)}`.trimEnd();
    if (!line) continue;
    push(lines, speaker, options.redact(line));
    if (message.role === 'user') push(userTexts, speaker, options.redact(said ?? message.content));
  }
  return [...userTexts.keys()].map((userId) => ({
    userId,
    lines: lines.get(userId) ?? [],
    userMessages: userTexts.get(userId) ?? [],
  }));
}

function render(message: ChatMessage): string | undefined {
  switch (message.role) {
    case 'user':
      return message.content.trim() ? `User: ${truncateMiddle(message.content, MAX_USER_MESSAGE_CHARS)}` : undefined;
    case 'assistant': {
      const calls = message.toolCalls?.map((call) => `[used ${call.name}]`).join(' ') ?? '';
      const text = `${message.content ?? ''} ${calls}`.trim();
      return text ? `Assistant: ${truncateMiddle(text, MAX_USER_MESSAGE_CHARS)}` : undefined;
    }
    case 'tool':
      return `Tool result: ${truncateMiddle(message.content, MAX_TOOL_CHARS)}`;
    case 'system':
      return undefined;
  }
}

/**
 * The newest lines within `maxTokens` (the room the request leaves them: the model's context less
 * the instructions, notes and answer) and at most MAX_TRANSCRIPT_CHARS, with a line saying how
 * many earlier ones were left out. Counted in tokens too: 40,000 characters of Chinese are about
 * as many tokens, more than a 32k context holds. A newest line longer than the room is cut to it.
 */
export function newestThatFit(lines: readonly string[], maxTokens: number, maxChars = MAX_TRANSCRIPT_CHARS): string {
  const room = maxTokens - LEFT_OUT_TOKENS;
  let chars = 0;
  let tokens = 0;
  let start = lines.length;
  for (; start > 0; start--) {
    const line = lines[start - 1] as string;
    const lineTokens = estimateTokens(line) + 1;
    if (chars + line.length + 1 > maxChars || tokens + lineTokens > room) break;
    chars += line.length + 1;
    tokens += lineTokens;
  }
  // At least one character a token, whatever the script.
  const kept = start === lines.length && room > 0 && lines.length > 0 ? [truncateMiddle(lines[--start] as string, Math.min(room, maxChars))] : lines.slice(start);
  return start > 0 ? [`[${start} earlier messages left out]`, ...kept].join('\n') : kept.join('\n');
}

/** What the line saying how many were left out takes. */
const LEFT_OUT_TOKENS = 16;

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
