/**
 * Token sequences and loss masks for Atropos, made by the policy's own tokenizer and
 * chat template: an OpenAI-compatible inference server's tokenize endpoint (vLLM's
 * `POST /tokenize` takes chat messages and applies the model's template), so the
 * trainer sees exactly the tokens the policy saw.
 *
 * Masks are -100 over everything the policy did not write (system, user, tool
 * results, template scaffolding) and the token id over each assistant turn, as
 * Atropos' tokenize_for_trainer does with train_on_all_assistant_turns. A turn's span
 * ends at len(template(through it)) and starts where template(messages before it) +
 * generation prompt stops agreeing with it: the generation prompt is not always a
 * prefix of the rendered turn. Reasoning templates (QwQ, DeepSeek-R1 distills, Qwen3.5)
 * end it with `<think>\n` but render a past turn without it, so its length would land
 * inside the turn and mask the first tokens the policy wrote there.
 * Templates that rewrite earlier turns (some drop past reasoning) make those spans
 * disagree with the full sequence; then only the final answer is trained, which is
 * always consistent.
 */
import { z } from 'zod';
import { CairnError } from '../../core/errors.js';
import type { OpenAIMessage, OpenAITool } from '../trajectory.js';
import type { ProxyConfig } from '../../config/proxy.js';
import { requestJson } from './http.js';

export interface ChatTokenizer {
  tokenize(messages: readonly OpenAIMessage[], options: { addGenerationPrompt: boolean; tools: readonly OpenAITool[] }): Promise<number[]>;
}

export const MASKED = -100;

const tokenizeReplySchema = z.object({ tokens: z.array(z.number().int()) });

/** vLLM's route lives at the server root, beside /v1: http://host:8000/v1 → http://host:8000/tokenize. */
export function defaultTokenizeUrl(modelBaseUrl: string): string {
  const url = new URL(modelBaseUrl);
  url.pathname = `${url.pathname.replace(/\/+$/, '').replace(/\/v1$/, '')}/tokenize`;
  return url.toString();
}

export interface ServerTokenizerOptions {
  url: string;
  model: string | undefined;
  timeoutMs?: number;
  /** HTTPS_PROXY / HTTP_PROXY / NO_PROXY, as the model client that reaches the same server follows them. */
  proxy?: ProxyConfig | undefined;
  /** Waits between tries (tests pass one that does not wait). */
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Waits before each new try after a passing failure (a 5xx, a refused connection): trainers
 * restart vLLM to load new weights after a step, and its /tokenize is gone meanwhile.
 */
const RETRY_DELAYS_MS = [1_000, 2_000, 4_000, 8_000, 16_000];

export class ServerTokenizer implements ChatTokenizer {
  constructor(private readonly options: ServerTokenizerOptions) {}

  async tokenize(messages: readonly OpenAIMessage[], options: { addGenerationPrompt: boolean; tools: readonly OpenAITool[] }): Promise<number[]> {
    const body = {
      ...(this.options.model ? { model: this.options.model } : {}),
      messages,
      add_generation_prompt: options.addGenerationPrompt,
      ...(options.tools.length > 0 ? { tools: options.tools } : {}),
    };
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.tokenizeOnce(body);
      } catch (error) {
        const delay = RETRY_DELAYS_MS[attempt];
        if (delay === undefined || !(error instanceof CairnError) || !error.isRetryable) throw error;
        await (this.options.sleep ?? wait)(delay);
      }
    }
  }

  private async tokenizeOnce(body: object): Promise<number[]> {
    const reply = await requestJson('POST', this.options.url, body, { timeoutMs: this.options.timeoutMs ?? 60_000, proxy: this.options.proxy });
    if (reply.status !== 200) {
      const passing = reply.status >= 500 || reply.status === 429;
      const reason = serverReason(reply.body);
      // The server's own words when it gave some: a chat template refusing the conversation, a model it does not
      // serve. Only an answer without them (FastAPI's bare 404 for a route it lacks) points at the URL.
      if (reason) throw new CairnError(passing ? 'unavailable' : 'bad_request', `The tokenize endpoint ${this.options.url} answered ${reply.status}: ${reason}`, { status: reply.status, isRetryable: passing });
      throw new CairnError('unavailable', `The tokenize endpoint ${this.options.url} answered ${reply.status}. Set CAIRN_TOKENIZE_URL (or --tokenize-url) to the inference server's /tokenize.`, { status: reply.status, isRetryable: passing });
    }
    const parsed = tokenizeReplySchema.safeParse(reply.body);
    if (!parsed.success) throw new CairnError('invalid_model_output', `${this.options.url} did not answer {tokens: [...]}: is it a vLLM-style /tokenize endpoint?`);
    return parsed.data.tokens;
  }
}

/** vLLM's error message: `{error: {message}}` (newer) or `{object: "error", message}` (older); undefined for anything else. */
const vllmErrorSchema = z.union([z.object({ error: z.object({ message: z.string().min(1) }) }).transform((body) => body.error.message), z.object({ message: z.string().min(1) }).transform((body) => body.message)]);

function serverReason(body: unknown): string | undefined {
  const parsed = vllmErrorSchema.safeParse(body);
  return parsed.success ? parsed.data.slice(0, 500) : undefined;
}

function wait(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export interface TokensAndMasks {
  tokens: number[];
  masks: number[];
  /** 'all' assistant turns, or only the 'last' one (see the header). */
  trained: 'all' | 'last';
}

export async function tokensAndMasks(messages: readonly OpenAIMessage[], tools: readonly OpenAITool[], tokenizer: ChatTokenizer): Promise<TokensAndMasks> {
  const cache = new Map<string, Promise<number[]>>();
  const encode = (upTo: number, addGenerationPrompt: boolean) => {
    const key = `${upTo}:${addGenerationPrompt}`;
    let tokens = cache.get(key);
    if (!tokens) {
      tokens = tokenizer.tokenize(messages.slice(0, upTo), { addGenerationPrompt, tools });
      cache.set(key, tokens);
    }
    return tokens;
  };
  const assistantTurns = messages.flatMap((message, index) => (message.role === 'assistant' ? [index] : []));
  const last = assistantTurns.at(-1);
  if (last === undefined) throw new CairnError('invalid_input', 'A trajectory without an assistant message has nothing to train on.');
  const tokens = await encode(messages.length, false);

  const spans = await Promise.all(
    assistantTurns.map(async (index) => {
      const through = await encode(index + 1, false);
      return { start: commonPrefixLength(await encode(index, true), through), through };
    }),
  );
  const masks = new Array<number>(tokens.length).fill(MASKED);
  if (spans.every(({ through }) => isPrefix(through, tokens))) {
    for (const { start, through } of spans) for (let i = start; i < through.length; i++) masks[i] = tokens[i] as number;
    return { tokens, masks, trained: 'all' };
  }
  for (let i = commonPrefixLength(await encode(last, true), tokens); i < tokens.length; i++) masks[i] = tokens[i] as number;
  return { tokens, masks, trained: 'last' };
}

/** How many tokens `a` and `b` share from the start: where the policy's own writing begins. */
function commonPrefixLength(a: readonly number[], b: readonly number[]): number {
  let length = 0;
  while (length < a.length && length < b.length && a[length] === b[length]) length++;
  return length;
}

function isPrefix(prefix: readonly number[], whole: readonly number[]): boolean {
  return prefix.length <= whole.length && commonPrefixLength(prefix, whole) === prefix.length;
}
