/**
 * A thinking model's reasoning behind its tool calls, kept to be sent back. DeepSeek's thinking
 * mode (the default of its V3.2 and V4 models) and Kimi's thinking models answer with the
 * reasoning beside the content (`reasoning_content`; OpenRouter and newer vLLM call it
 * `reasoning`) and refuse with a 400 any later request whose tool-calling assistant messages
 * lack it: without it every turn that used a tool failed at its second step. Only the
 * endpoint that wrote it gets it back, under the name it used; others (OpenAI, Groq) refuse
 * fields they do not know.
 */
import { z } from 'zod';
import type { ChatMessage, Reasoning, ReasoningField } from './types.js';
import { messagesOf, withMessages } from './request-messages.js';

/** The fields a message or a streamed delta may carry the reasoning in; anything but text is ignored. */
export const reasoningFieldsShape = {
  reasoning_content: z.unknown().optional(),
  reasoning: z.unknown().optional(),
};

type ReasoningFields = { reasoning_content?: unknown; reasoning?: unknown };

/** The reasoning text a message or delta carries, with the field it came in. */
export function reasoningOf(fields: ReasoningFields): { field: ReasoningField; text: string } | undefined {
  if (typeof fields.reasoning_content === 'string' && fields.reasoning_content !== '') return { field: 'reasoning_content', text: fields.reasoning_content };
  if (typeof fields.reasoning === 'string' && fields.reasoning !== '') return { field: 'reasoning', text: fields.reasoning };
  return undefined;
}

/** A streamed reply's reasoning, put together from its deltas. */
export class StreamedReasoning {
  private field: ReasoningField | undefined;
  private text = '';

  add(fields: ReasoningFields): void {
    const piece = reasoningOf(fields);
    if (!piece) return;
    // One field per reply; a server that repeats it under the other name is read once.
    this.field ??= piece.field;
    if (piece.field === this.field) this.text += piece.text;
  }

  result(): { field: ReasoningField; text: string } | undefined {
    return this.field && this.text !== '' ? { field: this.field, text: this.text } : undefined;
  }
}

/** The reasoning field `message` goes back to the endpoint at `endpoint` (its base URL) with, if any. */
export function reasoningToSend(message: ChatMessage, endpoint: string): Partial<Record<ReasoningField, string>> {
  if (message.role !== 'assistant' || !message.reasoning || !message.toolCalls?.length) return {};
  const { reasoning } = message;
  return reasoning.endpoint === endpoint ? { [reasoning.field]: reasoning.text } : {};
}

/** Whether a request body sends any reasoning back (for telling what a 400 refused). */
export function sendsReasoning(body: object): boolean {
  return messagesOf(body).some((message: unknown) => typeof message === 'object' && message !== null && ('reasoning_content' in message || 'reasoning' in message));
}

/** `body` without reasoning in its messages: for a provider that refused it once. */
export function withoutReasoning<T extends object>(body: T): T {
  return withMessages(body, ({ reasoning_content: _content, reasoning: _reasoning, ...rest }) => rest);
}

/**
 * `body` with an empty `reasoning_content` on each assistant message that carries no reasoning: for an
 * endpoint that refused the history without it. DeepSeek's thinking mode (V4, and V3.2 behind OpenRouter)
 * refuses any request whose earlier assistant messages lack it ("The `reasoning_content` in the thinking
 * mode must be passed back to the API", "Missing `reasoning_content` field in the assistant message"),
 * and the messages another model wrote before the team switched to DeepSeek have none to send: every
 * message of such a conversation failed until `/new`. Empty is what the other model thought, as far as
 * anyone knows; the reasoning DeepSeek wrote itself still goes back as written (reasoningToSend).
 */
export function withReasoningPlaceholders<T extends object>(body: T): T {
  return withMessages(body, (message) => (message.role === 'assistant' && !('reasoning_content' in message) && !('reasoning' in message) ? { ...message, reasoning_content: '' } : message));
}

/** Whether `message` (an error's, lower case) is an endpoint refusing a history whose assistant messages lack their reasoning. */
export function refusesMissingReasoning(message: string): boolean {
  return message.includes('reasoning_content') && /must be passed back|missing/.test(message);
}

/** Stored form of `reasoning` (the messages table's `reasoning` column). */
const storedSchema = z.object({ endpoint: z.string(), field: z.enum(['reasoning_content', 'reasoning']), text: z.string() });

export function parseStoredReasoning(text: string | null): Reasoning | undefined {
  if (!text) return undefined;
  try {
    const parsed = storedSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
