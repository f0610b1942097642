/**
 * Reads a streamed chat completion: text deltas go to the caller as they arrive (without
 * thinking, and with <tool_call> blocks filtered out where text tool calls are parsed),
 * tool-call deltas are joined by index, and the usage chunk at the end is kept.
 */
import { z } from 'zod';
import { isWholeJson } from '../core/json-in-text.js';
import { readUsage } from './cost.js';
import { newToolCallId, ToolCallTextFilter } from './hermes.js';
import { invalidOutput } from './map-error.js';
import { reasoningFieldsShape, StreamedReasoning } from './reasoning.js';
import { argumentsSchema, contentSchema, normalizeArguments, type RawReply } from './response.js';
import { ThinkingFilter, type ThinkingOutput } from './thinking.js';
import { BareToolCallHold } from './bare-tool-call.js';

const chunkSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: contentSchema,
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().nonnegative().optional(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: argumentsSchema }).nullish(),
                }),
              )
              .nullish(),
            ...reasoningFieldsShape,
          })
          .nullish(),
        finish_reason: z.string().nullish(),
      }),
    )
    .nullish(),
  usage: z.unknown().optional(),
});

export interface StreamOptions {
  provider: string;
  /** The attempt's signal (caller cancel or deadline): reading stops as soon as it fires. */
  signal: AbortSignal;
  onTextDelta: (text: string) => void;
  /** Hides <tool_call> blocks from the deltas (hermes and auto modes). */
  filterToolCallText: boolean;
  /** Tools a reply that is only bare call JSON calls (bare-tool-call.ts): such a reply is held back, not shown. */
  bareToolNames?: readonly string[] | undefined;
  /** Called on every chunk, so an idle deadline can be pushed back while the model talks. */
  onChunk: () => void;
  /** Called before the first delta reaches the caller (again after a take-back): from then on nothing may be retried. */
  onFirstDelta: () => void;
  /**
   * Takes back the text delivered so far: it was thinking, closed by a </think> the answer
   * never opened (see thinking.ts). Without it, that text stays shown; the answer is clean anyway.
   */
  onTextReset?: (() => void) | undefined;
}

export async function readStream(stream: AsyncIterable<unknown>, options: StreamOptions): Promise<RawReply> {
  const newToolCallFilter = () => (options.filterToolCallText ? new ToolCallTextFilter() : undefined);
  let toolCallFilter = newToolCallFilter();
  const newBareHold = () => new BareToolCallHold(options.bareToolNames ?? []);
  let bareHold = newBareHold();
  const thinking = new ThinkingFilter();
  const calls = new StreamedCalls();
  const reasoning = new StreamedReasoning();
  let text = '';
  let delivered = false;
  let sawChoice = false;
  let finishReason: string | undefined;
  let usageRaw: unknown;
  let model: string | undefined;

  const deliver = (piece: string) => {
    if (piece === '') return;
    if (!delivered) options.onFirstDelta();
    delivered = true;
    options.onTextDelta(piece);
  };
  const show = ({ takeBack, text: shown }: ThinkingOutput) => {
    if (takeBack) {
      // What was shown was thinking: taken back, and a <tool_call> it mentioned starts nothing.
      toolCallFilter = newToolCallFilter();
      bareHold = newBareHold();
      if (delivered && options.onTextReset) {
        delivered = false;
        options.onTextReset();
      }
    }
    deliver(bareHold.push(toolCallFilter ? toolCallFilter.push(shown) : shown));
  };

  for await (const raw of stream) {
    // Chunks already buffered keep coming after an abort; the caller said stop, so stop.
    if (options.signal.aborted) break;
    options.onChunk();
    const chunk = chunkSchema.safeParse(raw);
    if (!chunk.success) throw invalidOutput(options.provider, `${options.provider} streamed a chunk that is not a chat completion chunk.`, chunk.error);
    model = chunk.data.model || model;
    if (chunk.data.usage !== undefined && chunk.data.usage !== null) usageRaw = chunk.data.usage;
    for (const choice of chunk.data.choices ?? []) {
      sawChoice = true;
      if (choice.finish_reason) finishReason = choice.finish_reason;
      const content = choice.delta?.content;
      if (content) {
        text += content;
        show(thinking.push(content));
      }
      for (const delta of choice.delta?.tool_calls ?? []) calls.add(delta);
      if (choice.delta) reasoning.add(choice.delta);
    }
  }
  const rest = thinking.flush();
  deliver(bareHold.push(toolCallFilter ? toolCallFilter.push(rest) + toolCallFilter.flush() : rest) + bareHold.flush());
  if (!sawChoice) throw invalidOutput(options.provider, `${options.provider} ended the stream without an answer.`);

  const { usage, costUsd, reported } = readUsage(usageRaw);
  const toolCalls = calls.list().map((call) => ({ id: call.id || newToolCallId(), name: call.name, arguments: normalizeArguments(call.arguments) }));
  return { text, toolCalls, finishReason, usage, usageReported: reported, reportedCostUsd: costUsd, model, reasoning: reasoning.result() };
}

interface StreamedCall {
  id: string;
  name: string;
  arguments: string;
}

/**
 * Tool calls put together from their deltas. OpenAI numbers them (`index`) and gives the id
 * once; other servers do not: some send each call whole without an index (Gemini's
 * endpoint, proxies), some number every call 0 (Ollama), some with no id either (gateways).
 * A delta belongs to the call its index names (or, without an index, the last call) unless
 * it starts another: it brings an id other than that call's, or a function name when that
 * call has one and either names another function or has its arguments complete. Some
 * servers repeat the name in each delta of a call, so a repeat mid-arguments is no new call,
 * and a name repeated after them, with no arguments of its own, none either.
 */
class StreamedCalls {
  private readonly calls: StreamedCall[] = [];
  /** The wire index → the call it names now. */
  private readonly byIndex = new Map<number, StreamedCall>();

  add(delta: { index?: number | undefined; id?: string | null | undefined; function?: { name?: string | null | undefined; arguments?: string | null | undefined } | null | undefined }): void {
    const known = delta.index === undefined ? this.calls.at(-1) : this.byIndex.get(delta.index);
    const name = delta.function?.name;
    const startsAnother =
      known === undefined ||
      (Boolean(delta.id) && known.id !== '' && delta.id !== known.id) ||
      (!delta.id && Boolean(name) && known.name !== '' && (name !== known.name || isWholeJson(known.arguments)));
    const call = startsAnother ? { id: '', name: '', arguments: '' } : known;
    if (startsAnother) this.calls.push(call);
    if (delta.index !== undefined) this.byIndex.set(delta.index, call);
    if (delta.id) call.id = delta.id;
    // The name comes whole in one delta; later deltas may repeat it, so it is not appended.
    if (delta.function?.name && !call.name) call.name = delta.function.name;
    call.arguments += delta.function?.arguments ?? '';
  }

  /** The calls, without a name repeated after its call ended that brought nothing of its own. */
  list(): readonly StreamedCall[] {
    return this.calls.filter((call, index) => !(index > 0 && call.id === '' && call.arguments === '' && call.name === this.calls[index - 1]?.name));
  }
}
