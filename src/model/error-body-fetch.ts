/**
 * Error bodies in the shape the openai package reads. It takes an error's words from the body's
 * `error` object only; vLLM (and SGLang, which copies it) answer with the fields at the top
 * (`{"object": "error", "message": …}`) and FastAPI servers with `{"detail": …}`, which came out
 * as "400 status code (no body)": the operator never saw "maximum context length is 8192 tokens",
 * and a refused field or an unknown model could not be recognized by its words.
 */
import type { FetchLike } from './http-fetch.js';

export function readableErrorBodies(inner: FetchLike): FetchLike {
  return async (input, init) => {
    const response = await inner(input, init);
    if (response.status < 400) return response;
    const text = await response.text();
    return new Response(inOpenAIShape(text), { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}

/** The body with its words moved under `error`, when they are elsewhere; as it came otherwise. */
export function inOpenAIShape(text: string): string {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body) || 'error' in body) return text;
  const fields = body as Record<string, unknown>;
  if (typeof fields.message === 'string') {
    return JSON.stringify({ error: { message: fields.message, type: fields.type ?? null, param: fields.param ?? null, code: fields.code ?? null } });
  }
  if (fields.detail !== undefined) {
    return JSON.stringify({ error: { message: typeof fields.detail === 'string' ? fields.detail : JSON.stringify(fields.detail), type: null, param: null, code: null } });
  }
  return text;
}
