/**
 * The rules stricter providers hold a request's history to, as wrappers of a fake model server's
 * reply (`server.setDefault(mistralRules(reply))`): a request breaking one is refused as that
 * provider refuses it, and what was refused is kept in `refusals` for the test to read.
 */
import type { ChatBody, FakeReply, RecordedRequest } from './model-server.js';

type Reply = (request: RecordedRequest) => FakeReply;
type Message = Record<string, unknown> & { role: string };

export interface StrictRules {
  reply: Reply;
  /** The message of each refusal, in order. */
  refusals: string[];
}

const messagesOf = (request: RecordedRequest): Message[] => ((request.body as ChatBody | undefined)?.messages ?? []) as Message[];
const callsOf = (message: Message) => (Array.isArray(message.tool_calls) ? (message.tool_calls as { id: string }[]) : []);

function refuse(rules: StrictRules, status: number, message: string, extra: Record<string, unknown> = {}): FakeReply {
  rules.refusals.push(message);
  return { error: { status, body: { object: 'error', message, type: 'invalid_request_error', param: null, code: null, ...extra } } };
}

/** Fields each role may carry at Mistral's API (it refuses any other: "Extra inputs are not permitted"). */
const MISTRAL_FIELDS: Record<string, readonly string[]> = {
  system: ['role', 'content'],
  user: ['role', 'content', 'name'],
  assistant: ['role', 'content', 'tool_calls', 'prefix'],
  tool: ['role', 'content', 'tool_call_id', 'name'],
};

/**
 * Mistral's API: tool-call ids of nine letters and digits; an assistant message has content or tool
 * calls; each tool result answers a call of the assistant message before it; no unknown fields.
 */
export function mistralRules(next: Reply): StrictRules {
  const rules: StrictRules = { refusals: [], reply: () => ({ text: '' }) };
  rules.reply = (request) => {
    const messages = messagesOf(request);
    let open = new Set<string>();
    for (const [index, message] of messages.entries()) {
      const extra = Object.keys(message).filter((key) => !(MISTRAL_FIELDS[message.role] ?? []).includes(key));
      if (extra.length > 0) return refuse(rules, 422, `messages.${index}.${message.role}.${extra[0]}: Extra inputs are not permitted`);
      for (const id of [...callsOf(message).map((call) => call.id), ...(typeof message.tool_call_id === 'string' ? [message.tool_call_id] : [])]) {
        if (!/^[A-Za-z0-9]{9}$/.test(id)) return refuse(rules, 400, `Tool call id was ${id} but must be a-z, A-Z, 0-9, with a length of 9.`, { type: 'invalid_function_call', code: '3280' });
      }
      if (message.role === 'assistant') {
        const text = typeof message.content === 'string' ? message.content : '';
        if (text === '' && callsOf(message).length === 0) return refuse(rules, 400, 'Assistant message must have either content or tool_calls, but not none.');
        open = new Set(callsOf(message).map((call) => call.id));
      } else if (message.role === 'tool') {
        if (!open.has(String(message.tool_call_id))) return refuse(rules, 400, `Unexpected tool call id ${String(message.tool_call_id)} in tool results`);
        open.delete(String(message.tool_call_id));
      } else if (open.size > 0) {
        return refuse(rules, 400, 'Not the same number of function calls and responses');
      }
    }
    return next(request);
  };
  return rules;
}

/** DeepSeek's thinking mode (V4, and behind OpenRouter): every assistant message of the history carries its reasoning. */
export function deepSeekThinkingRules(next: Reply): StrictRules {
  const rules: StrictRules = { refusals: [], reply: () => ({ text: '' }) };
  rules.reply = (request) => {
    const bare = messagesOf(request).filter((message) => message.role === 'assistant' && callsOf(message).length > 0 && typeof message.reasoning_content !== 'string' && typeof message.reasoning !== 'string');
    if (bare.length > 0) return refuse(rules, 400, 'The `reasoning_content` in the thinking mode must be passed back to the API.');
    return next(request);
  };
  return rules;
}

/** vLLM serving a model at `window` tokens (`--max-model-len`), counting about four characters of what the model reads a token. */
export function vllmWindowRules(window: number, next: Reply): StrictRules {
  const rules: StrictRules = { refusals: [], reply: () => ({ text: '' }) };
  rules.reply = (request) => {
    const body = request.body as ChatBody;
    const read = (messagesOf(request) as Message[]).map((message) => (typeof message.content === 'string' ? message.content.length : 0) + (message.tool_calls ? JSON.stringify(message.tool_calls).length : 0) + 16);
    const prompt = Math.ceil((read.reduce((a, b) => a + b, 0) + JSON.stringify(body.tools ?? []).length) / 4);
    const output = typeof body.max_tokens === 'number' ? body.max_tokens : 0;
    if (prompt + output > window) {
      return refuse(rules, 400, `This model's maximum context length is ${window} tokens. However, you requested ${prompt + output} tokens (${prompt} in the messages, ${output} in the completion). Please reduce the length of the messages or completion.`, { type: 'BadRequestError' });
    }
    return next(request);
  };
  return rules;
}
