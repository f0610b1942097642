/**
 * Request fields an endpoint refused with a 400, learnt from the refusal and sent differently
 * from then on. OpenAI's reasoning models (o-series, gpt-5) take `max_completion_tokens`
 * instead of `max_tokens`, and only their default temperature; some OpenAI-compatible servers
 * take no JSON mode (`response_format`) or no `stream_options` (Azure before 2024-09, Groq,
 * gateways: every streamed turn failed), and a model served without tool support (vLLM without
 * --enable-auto-tool-choice, Ollama's models without tools, llama.cpp without --jinja, an OpenRouter
 * model no endpoint of which calls tools) takes no `tools`: in the auto tool mode it is then asked with
 * the tools described in its prompt (hermes). An endpoint that takes tools but no `tool_choice`
 * (OpenRouter routes some models to none that do) gets the answer after the step limit asked for
 * without it, as every step before it was. Notes extraction,
 * reflection, the judge and doctor's probe send these fields, so without this they failed on
 * every call to such a model.
 */
import type { CairnError } from '../core/errors.js';
import { refusesMissingReasoning, sendsReasoning, withoutReasoning, withReasoningPlaceholders } from './reasoning.js';
import { sendsToolCallIds, takesOnlyShortIds, withShortToolCallIds } from './tool-call-ids.js';

/**
 * Besides fields left out: `tool_call_ids`, ids of another provider's format refused (Mistral's nine
 * letters and digits, see tool-call-ids.ts), sent rewritten from then on; `missing_reasoning`, a
 * history refused for assistant messages without their reasoning (DeepSeek's thinking mode, after
 * another model wrote them), sent with an empty one from then on.
 */
export type RefusedField = 'max_tokens' | 'temperature' | 'response_format' | 'stream_options' | 'tools' | 'tool_choice' | 'reasoning' | 'tool_call_ids' | 'missing_reasoning';

type Body = object;

/**
 * What a model that takes `max_completion_tokens` gets on top of the answer's cap: it counts its
 * hidden reasoning in that cap, and without room for it answers nothing (finish_reason "length").
 * OpenAI's guidance is to leave about 25,000 tokens for reasoning and answer together.
 */
export const REASONING_ALLOWANCE = 25_000;

export class RefusedFields {
  /**
   * By endpoint (its base URL, not the provider's name: two `custom` providers are two servers) and
   * model; JSON mode and `stream_options` by endpoint alone (servers refuse them for all their models).
   */
  private readonly refused = new Set<string>();

  /** `body` as this endpoint and model take it. */
  adjust<T extends Body>(endpoint: string, model: string, body: T): T {
    const adjusted = { ...body } as Record<string, unknown>;
    if (typeof adjusted.max_tokens === 'number' && this.has(endpoint, model, 'max_tokens')) {
      adjusted.max_completion_tokens = adjusted.max_tokens + REASONING_ALLOWANCE;
      delete adjusted.max_tokens;
    }
    if (this.has(endpoint, model, 'temperature')) delete adjusted.temperature;
    if (this.has(endpoint, model, 'response_format')) delete adjusted.response_format;
    if (this.has(endpoint, model, 'stream_options')) delete adjusted.stream_options;
    if (this.has(endpoint, model, 'tool_choice')) delete adjusted.tool_choice;
    let sent: Record<string, unknown> = this.has(endpoint, model, 'reasoning') ? withoutReasoning(adjusted) : adjusted;
    if (this.has(endpoint, model, 'missing_reasoning')) sent = withReasoningPlaceholders(sent);
    if (takesOnlyShortIds(endpoint) || this.has(endpoint, model, 'tool_call_ids')) sent = withShortToolCallIds(sent);
    return sent as T;
  }

  /** Whether this model refused native tools: asked with the tools in its prompt instead. */
  refusedTools(endpoint: string, model: string): boolean {
    return this.has(endpoint, model, 'tools');
  }

  /**
   * Which field of `sent` the refusal `error` (see refusesAField) refused, remembered; undefined when it names none this
   * knows how to do without (the error stands: a request too long for the model is not sent again).
   */
  learn(endpoint: string, model: string, sent: Body, error: CairnError): RefusedField | undefined {
    const message = error.message.toLowerCase();
    if (!refusesAField(error, message)) return undefined;
    let field: RefusedField | undefined;
    if ('max_tokens' in sent && message.includes('max_tokens') && message.includes('max_completion_tokens')) field = 'max_tokens';
    else if ('temperature' in sent && message.includes('temperature')) field = 'temperature';
    // Servers word this one in many ways ("response_format is not supported", "JSON mode is not enabled", "'json_object' …").
    else if ('response_format' in sent && /response_format|json/.test(message)) field = 'response_format';
    else if ('stream_options' in sent && message.includes('stream_options')) field = 'stream_options';
    // Mistral's "Tool call id was call_… but must be a-z, A-Z, 0-9, with a length of 9." (its API, and servers of its models).
    else if (sendsToolCallIds(sent) && /tool[ _]call[ _]id/.test(message) && /must be|length|invalid|format/.test(message)) field = 'tool_call_ids';
    // DeepSeek's thinking mode, on assistant messages another model wrote (see withReasoningPlaceholders).
    else if (refusesMissingReasoning(message)) field = 'missing_reasoning';
    // Before `tools`: a refused `tool_choice: "none"` (OpenRouter: "no endpoints found that support the provided 'tool_choice' value") is no reason to leave native tools.
    else if ('tool_choice' in sent && /tool[ _]choice/.test(message)) field = 'tool_choice';
    // "does not support tools" (Ollama), "\"auto\" tool choice requires --enable-auto-tool-choice" (vLLM),
    // "tools param requires --jinja flag" and, before it, "unsupported param: tools" (llama.cpp), "no endpoints found that support tool use" (OpenRouter).
    else if ('tools' in sent && /tool[ _]choice|support tools|support tool use|tools? (?:is|are) not supported|does not support (?:function|tool)|tools param requires|unsupported param: tools/.test(message)) field = 'tools';
    // A gateway that passed the reasoning on once and then refused it (a model switched behind it).
    // Not a 400 for reasoning missing (DeepSeek's, for tool calls written without it): dropping it would make that one lasting.
    else if (sendsReasoning(sent) && message.includes('reasoning') && /unexpected|not (?:allowed|permitted|supported)|unsupported|unknown|unrecognized|extra (?:inputs|fields)/.test(message) && !/missing|required/.test(message)) field = 'reasoning';
    if (field === undefined || this.has(endpoint, model, field)) return undefined;
    this.refused.add(key(endpoint, model, field));
    return field;
  }

  private has(endpoint: string, model: string, field: RefusedField): boolean {
    return this.refused.has(key(endpoint, model, field));
  }
}

/**
 * Whether `error` may be the refusal of a field: a 400, or one of the refusals servers send with
 * another status. OpenRouter answers 404 when no endpoint of the model takes a field ("No endpoints
 * found that support tool use"), which read as a model it does not have; llama.cpp answers 500 to
 * tools without --jinja, which was retried and then read as a provider in trouble.
 */
function refusesAField(error: CairnError, message: string): boolean {
  if (error.code === 'bad_request') return true;
  if (error.code === 'not_found') return message.includes('no endpoints found that support');
  // A server rendering a Mistral model's template fails with a 500 where Mistral's API answers 400.
  return error.status === 500 && /tools param requires --jinja|unsupported param: tools|tool call id was/.test(message);
}

function key(endpoint: string, model: string, field: RefusedField): string {
  return field === 'response_format' || field === 'stream_options' ? `${endpoint}\n\n${field}` : `${endpoint}\n${model}\n${field}`;
}
