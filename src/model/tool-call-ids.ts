/**
 * Tool-call ids as a strict endpoint takes them. Mistral's API (and vLLM, llama.cpp or MLX serving a
 * Mistral model with its own chat template) refuses any id but nine letters and digits: "Tool call id
 * was call_… but must be a-z, A-Z, 0-9, with a length of 9." A conversation whose history held another
 * provider's calls (OpenAI's `call_` + 24, DeepSeek's `call_00_…`) then failed on every message after
 * the team switched to Mistral, and "Try /new" lost the conversation. The ids go out rewritten, the
 * same way every time (a call and its result keep matching; the prompt stays cacheable); the stored
 * history, trajectories and exports keep the ids as the models wrote them.
 */
import { createHash } from 'node:crypto';
import { messagesOf, withMessages } from './request-messages.js';

const NINE_ALPHANUMERIC = /^[A-Za-z0-9]{9}$/;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Mistral's own API, before it refuses anything (other servers of Mistral models are learnt from their refusal). */
const SHORT_ID_HOSTS = new Set(['api.mistral.ai', 'codestral.mistral.ai']);

/** `id` as nine letters and digits: itself when it is, else nine drawn from its hash. */
export function shortToolCallId(id: string): string {
  if (NINE_ALPHANUMERIC.test(id)) return id;
  const digest = createHash('sha256').update(id).digest();
  let short = '';
  for (let i = 0; i < 9; i++) short += ALPHABET[(digest[i] ?? 0) % ALPHABET.length];
  return short;
}

/** Whether the endpoint at `baseUrl` is known to take only such ids. */
export function takesOnlyShortIds(baseUrl: string): boolean {
  try {
    return SHORT_ID_HOSTS.has(new URL(baseUrl).hostname.toLowerCase());
  } catch {
    return false;
  }
}

/** Whether a request body carries any tool-call id (for telling what a refusal was about). */
export function sendsToolCallIds(body: object): boolean {
  return messagesOf(body).some((message: unknown) => typeof message === 'object' && message !== null && ('tool_call_id' in message || 'tool_calls' in message));
}

/** `body` with every tool-call id, in the calls and in their results, rewritten by shortToolCallId. */
export function withShortToolCallIds<T extends object>(body: T): T {
  return withMessages(body, (message) => {
    const rewritten = { ...message };
    if (typeof message.tool_call_id === 'string') rewritten.tool_call_id = shortToolCallId(message.tool_call_id);
    if (Array.isArray(message.tool_calls)) {
      rewritten.tool_calls = message.tool_calls.map((call: unknown) => (typeof call === 'object' && call !== null && typeof (call as { id?: unknown }).id === 'string' ? { ...call, id: shortToolCallId((call as { id: string }).id) } : call));
    }
    return rewritten;
  });
}
