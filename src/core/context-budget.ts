/**
 * What a request takes of the context budget (CAIRN_CONTEXT_TOKENS) besides the session's
 * messages: the system prompt, the tool definitions (in the tools parameter, or in the system
 * prompt in hermes mode: counted once either way) and the reply the model writes into the same
 * window. The prompt builder, compression and the check of a new message all budget the
 * messages with what these leave.
 */
import { hermesToolPrompt } from '../model/hermes.js';
import type { ChatMessage, ToolDefinition, Usage } from '../model/types.js';
import { estimateTokens } from '../memory/tokens.js';
import { count } from './text.js';
import { isCairnError } from './errors.js';
import { setBounded } from './bounded-map.js';

/** The share of the context kept free for the reply, and its cap: answers seldom run longer, and a long one is cut and continued. */
const REPLY_RESERVE_SHARE = 1 / 8;
const REPLY_RESERVE_MAX = 2_048;
/**
 * The least the messages get. A budget set below what the system prompt and the tools take
 * (a 2k budget beside 2.3k tokens of tools) cannot be kept anyway; the messages still get a
 * quarter of it, so a turn can run, rather than none.
 */
const MIN_MESSAGE_SHARE = 1 / 4;

export function replyReserve(contextTokens: number): number {
  return Math.min(Math.floor(contextTokens * REPLY_RESERVE_SHARE), REPLY_RESERVE_MAX);
}

/**
 * The tool definitions as a request carries them. Estimated from hermes mode's tool prompt:
 * the same JSON signatures the tools parameter sends, plus a few lines of instructions, so
 * native mode is counted a little high, never low.
 */
export function estimateToolTokens(tools: readonly ToolDefinition[]): number {
  if (tools.length === 0) return 0;
  if (lastEstimate && sameTools(lastEstimate.tools, tools)) return lastEstimate.tokens;
  const tokens = estimateTokens(hermesToolPrompt(tools));
  // A copy: the caller may change its array; the definitions in it are not changed (see sameTools).
  lastEstimate = { tools: tools.map(({ name, description, parameters }) => ({ name, description, parameters })), tokens };
  return tokens;
}

/**
 * The last estimate, for the next turn: the registry hands out a new array every turn, of the
 * same tools with the very same schema objects (built once per tool), and writing and estimating
 * their ~10 kB of JSON was a tenth of a batch task's CPU, for the same number every time.
 */
let lastEstimate: { tools: readonly ToolDefinition[]; tokens: number } | undefined;

/** Same names and descriptions, in the same order, with the same schema objects (which are never changed once built). */
function sameTools(a: readonly ToolDefinition[], b: readonly ToolDefinition[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as ToolDefinition;
    const y = b[i] as ToolDefinition;
    if (x.name !== y.name || x.description !== y.description || x.parameters !== y.parameters) return false;
  }
  return true;
}

/** What a request needs beside its system prompt and messages: the tools it offers and room for the reply. */
export function reservedTokens(contextTokens: number, tools: readonly ToolDefinition[]): number {
  return estimateToolTokens(tools) + replyReserve(contextTokens);
}

/** The tokens the messages may fill, given what the system prompt, the tools and the reply take. */
export function messageRoom(contextTokens: number, fixedTokens: number): number {
  return Math.max(contextTokens - fixedTokens, Math.floor(contextTokens * MIN_MESSAGE_SHARE));
}

/** Whether the budget is smaller than what every request needs besides its messages (then requests go over it). */
export function budgetTooSmall(contextTokens: number, fixedTokens: number): boolean {
  return contextTokens - fixedTokens < contextTokens * MIN_MESSAGE_SHARE;
}

/** The refusal of a message that alone would not fit the context: the figures, and what to do. */
export function oversizedMessageReply(messageTokens: number, room: number): string {
  return (
    `Your message is about ${count(messageTokens)} tokens long (with any files and earlier messages it brings); ` +
    `the model's context leaves room for about ${count(room)} in one message. Send a shorter message, or split it into parts.`
  );
}

/** What a provider said when it refused a request as longer than the model's context: its limit and the request's size, where it said them. */
export interface ContextOverflow {
  limit: number | undefined;
  requested: number | undefined;
}

/**
 * How providers say a request is over the model's context, and where the figures are (limit, then the request's size, as
 * group numbers; 0 for none): OpenAI, DeepSeek, vLLM and OpenRouter "maximum context length is 8192 tokens. However, your
 * messages resulted in / you requested (about) 9000 tokens", Anthropic "prompt is too long: 210000 tokens > 200000 maximum",
 * Mistral "Prompt contains 9000 tokens … too large for model with 8192 maximum context length", Gemini "The input token
 * count (9000) exceeds the maximum number of tokens allowed (8192)", llama.cpp "request (9000 tokens) exceeds the available
 * context size (8192 tokens)" (older builds without the figures).
 */
const OVERFLOWS: readonly [RegExp, number, number][] = [
  [/maximum context length is (\d+) tokens(?:[^\n]*?(?:resulted in|requested(?: about)?) (\d+) tokens)?/i, 1, 2],
  [/prompt is too long: (\d+) tokens > (\d+) maximum/i, 2, 1],
  [/prompt contains (\d+) tokens[^\n]*?too large for model with (\d+) maximum context length/i, 2, 1],
  [/input token count \(?(\d+)\)? exceeds the maximum number of tokens allowed \(?(\d+)\)?/i, 2, 1],
  [/request \((\d+) tokens\) exceeds the available context size \((\d+) tokens\)/i, 2, 1],
  [/exceeds the available context size|context_length_exceeded|context window|maximum context length/i, 0, 0],
];

/**
 * The refusal of a request as over the model's context (a 400), or undefined for any other failure. Cairn's token counts
 * are estimates, and `/model` may name a model with a smaller window than CAIRN_CONTEXT_TOKENS: such a refusal is mended
 * by sending less, where "Try /new" (what a bad request gets) threw the conversation away, and every later message failed alike.
 */
export function contextOverflow(error: unknown): ContextOverflow | undefined {
  if (!isCairnError(error) || error.code !== 'bad_request') return undefined;
  const code = (error.cause as { code?: unknown } | undefined)?.code;
  for (const [pattern, limitAt, requestedAt] of OVERFLOWS) {
    const found = pattern.exec(error.message);
    if (!found) continue;
    const figure = (at: number) => (at > 0 && found[at] ? Number(found[at]) : undefined);
    return { limit: figure(limitAt), requested: figure(requestedAt) };
  }
  return code === 'context_length_exceeded' ? { limit: undefined, requested: undefined } : undefined;
}

/** The share of the budget a refused request is tried again within when the provider gave no figures (or figures that say less). */
const OVERFLOW_SHRINK = 3 / 4;
/** The share of the provider's limit, in its own tokens, a request is sized for: its count of what Cairn adds (tool definitions, the reply) is not ours. */
const OVERFLOW_MARGIN = 0.9;

/**
 * The budget to try again within after `overflow`, from the one the refused request was built for: as much smaller as the
 * provider's count was over its limit (its tokenizer and Cairn's estimate differ), and a quarter smaller at least.
 * `sentTokens` is Cairn's estimate of the refused request with its reply's room: the provider's count is of that request,
 * so the shrink applies to it where it was under the budget (just after a compression). Scaling the budget instead
 * learnt a window that depended on where in its compressions a conversation was refused, and later turns went over again.
 */
export function budgetAfterOverflow(budget: number, overflow: ContextOverflow, sentTokens?: number): number {
  const { limit, requested } = overflow;
  const ratio = limit !== undefined && requested !== undefined && requested > 0 ? (OVERFLOW_MARGIN * limit) / requested : OVERFLOW_SHRINK;
  const byLimit = limit !== undefined && requested === undefined ? OVERFLOW_MARGIN * limit : budget;
  const base = sentTokens !== undefined && sentTokens > 0 ? Math.min(budget, sentTokens) : budget;
  return Math.floor(Math.min(base * Math.min(ratio, OVERFLOW_SHRINK), byLimit));
}

/**
 * The share of the least count of a prompt (leastSentTokens) under which the provider's count means it cut the prompt:
 * no tokenizer counts half of that.
 */
const TRUNCATED_SHARE = 1 / 2;
/**
 * Counts under this are no model's context (Ollama's smallest default is 2,048 tokens; its llama-server path cuts to
 * half of num_ctx, 1,026) but a prompt read mostly from a cache the server left out of its count (Ollama 0.1 and 0.30
 * counted only the tokens it evaluated anew).
 */
const MIN_TRUNCATED_TOKENS = 1_024;

/**
 * The fewest tokens a model's tokenizer makes of a request's messages: four characters a token of ASCII (English prose,
 * code), three of any other script (the densest vocabularies: DeepSeek's and Qwen's Chinese, GPT-4o's Cyrillic), where
 * Cairn's estimate (tokens.ts) errs high. Left out: the reasoning kept with tool calls (Ollama's chat templates drop
 * earlier turns' thinking) and the tool definitions (hermes mode adds them only on the way out; a provider counts them as
 * it likes).
 */
export function leastSentTokens(messages: readonly ChatMessage[]): number {
  const least = (text: string | null) => {
    if (!text) return 0;
    const other = text.replace(/[\t\n\r\x20-\x7e]+/g, '').length;
    return Math.ceil((text.length - other) / 4 + other / 3);
  };
  const calls = (message: ChatMessage) => (message.role === 'assistant' ? (message.toolCalls ?? []).reduce((sum, call) => sum + least(call.name) + least(call.arguments), 0) : 0);
  return messages.reduce((sum, message) => sum + least(message.content) + calls(message), 0);
}

/**
 * The tokens the model read of a request of `sentTokens` (at the least, see leastSentTokens) when the provider's
 * count says it silently cut the prompt to its context, roughly that context's size; undefined when it read it whole,
 * said nothing (no usage, or 0) or its count is no proof. Ollama does not refuse a prompt longer than the model's
 * context (num_ctx, 2,048 to 8,192 tokens by default) as other providers do: it drops the oldest messages, and when the
 * system prompt and the last message alone are too long it cuts tokens from the start, the system prompt first. Its
 * usage.prompt_tokens then counts what was left. Cached tokens are added where reported: some servers count them apart
 * (counted twice where they are part of prompt_tokens, the check is only more cautious).
 */
export function silentTruncation(sentTokens: number, usage: Usage): number | undefined {
  if (usage.promptTokens <= 0) return undefined;
  const read = usage.promptTokens + usage.cachedTokens;
  return read < MIN_TRUNCATED_TOKENS || read >= sentTokens * TRUNCATED_SHARE ? undefined : read;
}

/** Conversations whose last count is kept for TruncationWatch; the oldest goes first past this. */
const COUNTS_KEPT = 1_024;
/** Growth of a prompt, by Cairn's estimate, that no tokenizer counts as nothing. */
const MIN_GROWTH_TOKENS = 32;

/**
 * Reads the provider's counts of a conversation's prompts for a silent cut (see silentTruncation). A prompt cut by tokens
 * (Ollama's runner, when the system prompt and last message alone are too long: the system prompt goes) is counted at the
 * context's size every time: a prompt grown since the last one and counted the same, under its estimate, was cut at that
 * ceiling too, though it is not yet twice the context, where the count alone would say so.
 */
export class TruncationWatch {
  /** The last request's estimate and count, by conversation and the model that answered. */
  private readonly last = new Map<string, { sent: number; read: number }>();

  /** The tokens the model read of a request of `sentTokens` when it was cut to the context; undefined when it was not, or no one can tell. */
  check(key: string, sentTokens: number, usage: Usage): number | undefined {
    const read = usage.promptTokens + usage.cachedTokens;
    const before = this.last.get(key);
    setBounded(this.last, key, { sent: sentTokens, read }, COUNTS_KEPT);
    const cut = silentTruncation(sentTokens, usage);
    if (cut !== undefined || usage.promptTokens <= 0 || read < MIN_TRUNCATED_TOKENS || read >= sentTokens || !before) return cut;
    return read === before.read && sentTokens - before.sent >= MIN_GROWTH_TOKENS ? read : undefined;
  }
}
