/**
 * The model port: the only shapes the agent core knows about a language model.
 * Messages follow the OpenAI chat format so trajectories export without translation.
 */
import type { JsonSchema } from '../tools/types.js';

export interface ToolCall {
  id: string;
  name: string;
  /** Raw JSON text of the arguments, exactly as the model produced it. */
  arguments: string;
}

export type ChatMessage =
  | { role: 'system'; content: string }
  | { role: 'user'; content: string; name?: string }
  | { role: 'assistant'; content: string | null; toolCalls?: ToolCall[]; reasoning?: Reasoning }
  | { role: 'tool'; content: string; toolCallId: string; name?: string };

export type ReasoningField = 'reasoning_content' | 'reasoning';

/**
 * A thinking model's reasoning behind an assistant message's tool calls, as its provider sent it:
 * some refuse a conversation whose tool calls come back without it (see model/reasoning.ts).
 */
export interface Reasoning {
  /** The base URL of the endpoint that wrote it: the only one it is sent back to (names repeat: two `custom` providers). */
  endpoint: string;
  /** The field it came in, and goes back in. */
  field: ReasoningField;
  text: string;
}

export interface ToolDefinition {
  name: string;
  description: string;
  parameters: JsonSchema;
}

export interface Usage {
  promptTokens: number;
  completionTokens: number;
  cachedTokens: number;
}

/** One row of the usage ledger: what one model call cost. */
export interface CallRecord {
  provider: string;
  /** The model that answered, as the server names it (`gpt-4o-2024-08-06`): what is priced and billed. */
  model: string;
  /** The model asked for, where the server may answer as another: failed calls have no other name, so metrics group a model's calls by this one. */
  requestedModel?: string | undefined;
  purpose: ModelPurpose;
  usage: Usage;
  /** US dollars, when the price is known (from config or reported by the provider). */
  costUsd: number | undefined;
  durationMs: number;
  ok: boolean;
  errorCode: string | undefined;
  sessionId: string | undefined;
  /** The person the call worked for (a turn's user), counted against their daily allowance. */
  userKey?: string | undefined;
  attempt: number;
}

export type ModelPurpose = 'chat' | 'summary' | 'reflection' | 'audit' | 'extraction' | 'judge' | 'probe' | 'vision' | 'transcription' | 'embedding';

export interface CompletionRequest {
  messages: ChatMessage[];
  tools?: ToolDefinition[];
  /** Overrides the client's default model for this call. */
  model?: string;
  purpose?: ModelPurpose;
  sessionId?: string;
  /** The person the call works for (see CallRecord.userKey). */
  userKey?: string;
  maxTokens?: number;
  temperature?: number;
  /** Ask for JSON output (response_format json_object) where the provider supports it. */
  json?: boolean;
  /**
   * Tool calls written as text (`<tool_call>` blocks) are taken out of the answer, in every tool
   * mode, though no tools may be called: the answer after the step limit, which a model used to
   * calling tools may still try to call one in (vLLM passes one written under tool_choice "none" as text).
   */
  hideToolCallText?: boolean;
  /**
   * `none`: the tools are offered but may not be called (OpenAI's `tool_choice`). For the answer
   * after the step limit: Anthropic and Bedrock refuse a request whose messages hold tool calls and
   * results unless it defines tools. Hermes mode leaves the tools out of its prompt instead.
   */
  toolChoice?: 'none';
  /**
   * Only the primary provider is asked (with its retries), even while it rests: no fallback answers
   * instead. For a call whose answer must come from the model it names: the RL judge, where another
   * model grading part of a run would mix two graders' scores in one dataset.
   */
  noFallback?: boolean;
  signal?: AbortSignal;
  /** Called with each piece of text as it streams; when set, the request streams. */
  onTextDelta?: (text: string) => void;
  /**
   * Makes streamed text retractable. Without it, a call that fails after text was streamed
   * is neither retried nor failed over (the text cannot be taken back); with it, it is, and
   * this is called first, so the caller drops what it showed.
   */
  onTextReset?: (reason: TextResetReason) => void;
}

/**
 * Why streamed text is taken back. `retry`: the call failed after text was streamed and is
 * made again (or by the next provider). `thinking`: the text was the model's thinking, closed
 * by a </think> the chat template opened in the prompt; the answer follows in the same call.
 */
export type TextResetReason = 'retry' | 'thinking';

export type FinishReason = 'stop' | 'tool_calls' | 'length' | 'content_filter' | 'other';

export interface CompletionResult {
  /** Text for the user, with any parsed <tool_call> blocks removed. */
  text: string;
  toolCalls: ToolCall[];
  finishReason: FinishReason;
  usage: Usage;
  model: string;
  provider: string;
  /** The model's reasoning, where its provider sent it apart from the text. */
  reasoning?: Reasoning;
}

/** What the agent core needs from a model: one completion at a time. */
export interface ModelClient {
  complete(request: CompletionRequest): Promise<CompletionResult>;
}
