/**
 * A request body's messages as they go out, for the rewrites an endpoint's refusal calls for (refused-fields.ts:
 * reasoning left out or added empty, tool-call ids shortened). The body is the JSON the SDK sends, so the
 * messages are read as plain records; anything else in the list passes as it is.
 */
export type OutgoingMessage = Record<string, unknown>;

/** The body's messages, or none where it has no list of them. */
export function messagesOf(body: object): unknown[] {
  const messages = (body as { messages?: unknown }).messages;
  return Array.isArray(messages) ? messages : [];
}

/** `body` with each message rewritten by `change`; the body itself where it has no list of messages. */
export function withMessages<T extends object>(body: T, change: (message: OutgoingMessage) => OutgoingMessage): T {
  const messages = (body as { messages?: unknown }).messages;
  if (!Array.isArray(messages)) return body;
  return { ...body, messages: messages.map((message: unknown) => (typeof message === 'object' && message !== null ? change(message as OutgoingMessage) : message)) };
}
