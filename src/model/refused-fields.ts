/**
 * Request fields an endpoint refused with a 400, learnt from the refusal and sent differently
 * from then on. OpenAI's reasoning models (o-series, gpt-5) take `max_completion_tokens`
 * instead of `max_tokens`, and only their default temperature; some OpenAI-compatible servers
 * take no JSON mode (`response_format`) or no `stream_options` (Azure before 2024-09, Groq,
 * gateways: every streamed turn failed), and a model served without tool support (vLLM without
 * --enable-auto-tool-choice, Ollama's models without tools) takes no `tools`: in the auto tool
 * mode it is then asked with the tools described in its prompt (hermes). Notes extraction,
 * reflection, the judge and doctor's probe send these fields, so without this they failed on
 * every call to such a model.
 */
import type { CairnError } from '../core/errors.js';
import { sendsReasoning, withoutReasoning } from './reasoning.js';

export type RefusedField = 'max_tokens' | 'temperature' | 'response_format' | 'stream_options' | 'tools' | 'reasoning';

type Body = object;

/**
 * What a model that takes `max_completion_tokens` gets on top of the answer's cap: it counts its
 * hidden reasoning in that cap, and without room for it answers nothing (finish_reason "length").
 * OpenAI's guidance is to leave about 25,000 tokens for reasoning and answer together.
 */
export const REASONING_ALLOWANCE = 25_000;

export class RefusedFields {
  /** By provider and model; JSON mode by provider alone (servers refuse it for all their models). */
  private readonly refused = new Set<string>();

  /** `body` as this provider and model take it. */
  adjust<T extends Body>(provider: string, model: string, body: T): T {
    const adjusted = { ...body } as Record<string, unknown>;
    if (typeof adjusted.max_tokens === 'number' && this.has(provider, model, 'max_tokens')) {
      adjusted.max_completion_tokens = adjusted.max_tokens + REASONING_ALLOWANCE;
      delete adjusted.max_tokens;
    }
    if (this.has(provider, model, 'temperature')) delete adjusted.temperature;
    if (this.has(provider, model, 'response_format')) delete adjusted.response_format;
    if (this.has(provider, model, 'stream_options')) delete adjusted.stream_options;
    return (this.has(provider, model, 'reasoning') ? withoutReasoning(adjusted) : adjusted) as T;
  }

  /** Whether this model refused native tools: asked with the tools in its prompt instead. */
  refusedTools(provider: string, model: string): boolean {
    return this.has(provider, model, 'tools');
  }

  /**
   * Which field of `sent` the 400 `error` refused, remembered; undefined when it names none this
   * knows how to do without (the error stands: a request too long for the model is not sent again).
   */
  learn(provider: string, model: string, sent: Body, error: CairnError): RefusedField | undefined {
    if (error.code !== 'bad_request') return undefined;
    const message = error.message.toLowerCase();
    let field: RefusedField | undefined;
    if ('max_tokens' in sent && message.includes('max_tokens') && message.includes('max_completion_tokens')) field = 'max_tokens';
    else if ('temperature' in sent && message.includes('temperature')) field = 'temperature';
    // Servers word this one in many ways ("response_format is not supported", "JSON mode is not enabled", "'json_object' …").
    else if ('response_format' in sent && /response_format|json/.test(message)) field = 'response_format';
    else if ('stream_options' in sent && message.includes('stream_options')) field = 'stream_options';
    // "does not support tools" (Ollama), "\"auto\" tool choice requires --enable-auto-tool-choice" (vLLM).
    else if ('tools' in sent && /tool[ _]choice|support tools|tools? (?:is|are) not supported|does not support (?:function|tool)/.test(message)) field = 'tools';
    // A gateway that passed the reasoning on once and then refused it (a model switched behind it).
    // Not a 400 for reasoning missing (DeepSeek's, for tool calls written without it): dropping it would make that one lasting.
    else if (sendsReasoning(sent) && message.includes('reasoning') && /unexpected|not (?:allowed|permitted|supported)|unsupported|unknown|unrecognized|extra (?:inputs|fields)/.test(message) && !/missing|required/.test(message)) field = 'reasoning';
    if (field === undefined || this.has(provider, model, field)) return undefined;
    this.refused.add(key(provider, model, field));
    return field;
  }

  private has(provider: string, model: string, field: RefusedField): boolean {
    return this.refused.has(key(provider, model, field));
  }
}

function key(provider: string, model: string, field: RefusedField): string {
  return field === 'response_format' || field === 'stream_options' ? `${provider}\n\n${field}` : `${provider}\n${model}\n${field}`;
}
