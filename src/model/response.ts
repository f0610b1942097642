/**
 * A provider's reply → Cairn's shapes. The body is outside input, so it goes through
 * zod: an error the provider sent as its body is that error, and anything else that is not
 * a chat completion with at least one choice is 'invalid_model_output' (retryable once),
 * never a crash deeper in the agent.
 */
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import { readUsage } from './cost.js';
import { invalidOutput, statusError } from './map-error.js';
import { newToolCallId, parseToolCallBlocks } from './hermes.js';
import { reasoningFieldsShape, reasoningOf } from './reasoning.js';
import { withoutThinking } from './thinking.js';
import { parseBareToolCalls } from './bare-tool-call.js';
import type { FinishReason, ReasoningField, ToolCall, Usage } from './types.js';

/** What one attempt produced, before <tool_call> text parsing: shared by plain and streamed replies. */
export interface RawReply {
  text: string;
  toolCalls: ToolCall[];
  finishReason: string | undefined;
  usage: Usage;
  /** Whether the provider reported usage (see cost.ts). */
  usageReported: boolean;
  reportedCostUsd: number | undefined;
  model: string | undefined;
  /** Reasoning the provider sent apart from the text (see reasoning.ts). */
  reasoning?: { field: ReasoningField; text: string } | undefined;
}

/**
 * A tool call's arguments: JSON text as the API sends them, or the object itself, as
 * llama.cpp's llama-server (by default until `--tool-args-object`), mlx-lm and some gateways
 * send them; either way JSON text from here on.
 */
export const argumentsSchema = z
  .union([z.string(), z.record(z.string(), z.unknown()), z.array(z.unknown())])
  .nullish()
  .transform((args) => (args === null || args === undefined || typeof args === 'string' ? args : JSON.stringify(args)));

const toolCallSchema = z.object({
  id: z.string().nullish(),
  function: z.object({ name: z.string(), arguments: argumentsSchema }),
});

/**
 * A message's content: text, or a list of parts (Mistral's reasoning models: `thinking` parts,
 * then `text` ones), of which the text parts are the answer. A list was "a reply I couldn't use".
 */
export const contentSchema = z
  .union([z.string(), z.array(z.object({ type: z.string().optional(), text: z.unknown().optional() }).passthrough())])
  .nullish()
  .transform((content) => (Array.isArray(content) ? content.map((part) => (part.type === 'text' && typeof part.text === 'string' ? part.text : '')).join('') : (content ?? '')));

const completionSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        message: z.object({ content: contentSchema, tool_calls: z.array(toolCallSchema).nullish(), ...reasoningFieldsShape }),
        finish_reason: z.string().nullish(),
      }),
    )
    .min(1),
  usage: z.unknown().optional(),
});

/**
 * An error as the body of a 200: OpenRouter answers so when the upstream fails after it
 * accepted the request, with the HTTP status it means in `code`.
 */
const errorBodySchema = z.object({
  error: z.union([z.string(), z.object({ message: z.string().nullish(), code: z.union([z.number(), z.string()]).nullish() })]),
});

export function errorInBody(body: unknown, provider: string): CairnError | undefined {
  // Every reply comes through here: one without the field (nearly all) is not parsed for it.
  if (typeof body !== 'object' || body === null || !('error' in body)) return undefined;
  const parsed = errorBodySchema.safeParse(body);
  if (!parsed.success) return undefined;
  const { error } = parsed.data;
  const { message, code } = typeof error === 'string' ? { message: error, code: undefined } : error;
  const said = `${provider} answered with an error${code === undefined || code === null ? '' : ` (${code})`}: ${message || 'no message'}`;
  const status = Number(code);
  if (Number.isInteger(status) && status >= 400 && status < 600) return statusError(status, undefined, said, { platform: provider });
  // No status to go by: an upstream failure, as an error event in a stream is (map-error.ts).
  return new CairnError('unavailable', said, { platform: provider, isRetryable: true });
}

export function readCompletion(body: unknown, provider: string): RawReply {
  const error = errorInBody(body, provider);
  if (error) throw error;
  const parsed = completionSchema.safeParse(body);
  if (!parsed.success) {
    const what = typeof body === 'string' ? 'a non-JSON body' : 'a body without choices';
    throw invalidOutput(provider, `${provider} sent ${what} instead of a chat completion.`, parsed.error);
  }
  const choice = parsed.data.choices[0]!;
  const { usage, costUsd, reported } = readUsage(parsed.data.usage);
  return {
    text: choice.message.content,
    toolCalls: (choice.message.tool_calls ?? []).map((call) => ({ id: call.id || newToolCallId(), name: call.function.name, arguments: normalizeArguments(call.function.arguments) })),
    finishReason: choice.finish_reason ?? undefined,
    usage,
    usageReported: reported,
    reportedCostUsd: costUsd,
    model: parsed.data.model || undefined,
    reasoning: reasoningOf(choice.message),
  };
}

/**
 * Models call argument-less tools with '' — the agent expects a JSON object. Arguments
 * encoded twice (a JSON string holding the object's JSON: vLLM's parsers json.dumps what a
 * model wrote stringified) are unwrapped, as hermes.ts does for text calls.
 */
export function normalizeArguments(raw: string | null | undefined): string {
  if (raw === null || raw === undefined || raw.trim() === '') return '{}';
  const inner = jsonString(raw);
  return inner !== undefined && isJsonObject(inner) ? inner : raw;
}

/** The string a JSON text encodes, or undefined when it encodes something else or is not JSON. */
function jsonString(text: string): string | undefined {
  const value = tryJson(text);
  return typeof value === 'string' ? value : undefined;
}

function isJsonObject(text: string): boolean {
  const value = tryJson(text);
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function tryJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** Applies the tool mode to a raw reply: text tool calls are parsed only when native ones are absent. */
export function finishReply(raw: RawReply, parseTextToolCalls: boolean, bareToolNames: readonly string[] = []): { text: string; toolCalls: ToolCall[]; finishReason: FinishReason } {
  let { toolCalls } = raw;
  let text = withoutThinking(raw.text);
  if (parseTextToolCalls && toolCalls.length === 0) ({ text, toolCalls } = parseToolCallBlocks(text));
  // A small model's call without the tags it was asked for: the whole reply is the call's JSON.
  const bare = toolCalls.length === 0 ? parseBareToolCalls(text, bareToolNames) : undefined;
  if (bare) ({ text, toolCalls } = { text: '', toolCalls: bare });
  // Text tool calls arrive with finish_reason 'stop'; the agent cares that tools were called.
  const calledTools = toolCalls.length > 0 && (raw.finishReason === 'stop' || raw.finishReason === undefined);
  const finishReason = calledTools ? 'tool_calls' : mapFinishReason(raw.finishReason);
  return { text, toolCalls, finishReason };
}

/**
 * Finish reasons by which the server says it ended the answer for a failure of its own, not the
 * model's: DeepSeek's `insufficient_system_resource` ("interrupted due to insufficient resource of
 * the inference system"), vLLM's `abort` and `error`. What came before them is half an answer or
 * half a tool call, which passed as complete ('other'): the attempt failed, and is made again.
 */
const SERVER_FAILURES = new Set(['insufficient_system_resource', 'abort', 'error']);

export function serverFailure(reason: string | undefined, provider: string): CairnError | undefined {
  if (reason === undefined || !SERVER_FAILURES.has(reason)) return undefined;
  return new CairnError('unavailable', `${provider} ended the answer early for a failure of its own (finish_reason "${reason}").`, { platform: provider, isRetryable: true });
}

export function mapFinishReason(reason: string | undefined): FinishReason {
  switch (reason) {
    case 'stop':
    case 'length':
    case 'content_filter':
    case 'tool_calls':
      return reason;
    case 'function_call':
      return 'tool_calls';
    default:
      return 'other';
  }
}
