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

export interface SpeakerTranscript {
  userId: string;
  /** One line per message, `User:` / `Assistant:` / `Tool result:`. */
  text: string;
  /** What the user wrote, for finding related existing notes. */
  userText: string;
}

export interface TranscriptOptions {
  redact: RedactText;
  /** Messages at or before this time are left out (the user said "forget all" after them). */
  forgottenAt?: (userId: string) => number | undefined;
  /** The newest lines that fit are kept. */
  maxChars?: number;
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
  const max = options.maxChars ?? MAX_TRANSCRIPT_CHARS;
  return [...userTexts.keys()].map((userId) => ({
    userId,
    text: newestThatFit(lines.get(userId) ?? [], max),
    userText: (userTexts.get(userId) ?? []).join('\n'),
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

function newestThatFit(lines: readonly string[], max: number): string {
  let total = 0;
  let start = lines.length;
  while (start > 0 && total + (lines[start - 1] as string).length + 1 <= max) total += (lines[--start] as string).length + 1;
  const kept = lines.slice(start);
  return start > 0 ? [`[${start} earlier messages left out]`, ...kept].join('\n') : kept.join('\n');
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}
