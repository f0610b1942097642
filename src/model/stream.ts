/**
 * Reads a streamed chat completion: text deltas go to the caller as they arrive (with
 * <tool_call> blocks filtered out where text tool calls are parsed), tool-call deltas
 * are joined by index, and the usage chunk at the end is kept.
 */
import { z } from 'zod';
import { readUsage } from './cost.js';
import { newToolCallId, ToolCallTextFilter } from './hermes.js';
import { invalidOutput } from './map-error.js';
import { normalizeArguments, type RawReply } from './response.js';

const chunkSchema = z.object({
  model: z.string().nullish(),
  choices: z
    .array(
      z.object({
        delta: z
          .object({
            content: z.string().nullish(),
            tool_calls: z
              .array(
                z.object({
                  index: z.number().int().nonnegative().optional(),
                  id: z.string().nullish(),
                  function: z.object({ name: z.string().nullish(), arguments: z.string().nullish() }).nullish(),
                }),
              )
              .nullish(),
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
  /** Called on every chunk, so an idle deadline can be pushed back while the model talks. */
  onChunk: () => void;
  /** Called once, before the first delta reaches the caller: from then on nothing may be retried. */
  onFirstDelta: () => void;
}

export async function readStream(stream: AsyncIterable<unknown>, options: StreamOptions): Promise<RawReply> {
  const filter = options.filterToolCallText ? new ToolCallTextFilter() : undefined;
  const calls = new Map<number, { id: string; name: string; arguments: string }>();
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
        deliver(filter ? filter.push(content) : content);
      }
      for (const [position, delta] of (choice.delta?.tool_calls ?? []).entries()) {
        const index = delta.index ?? position;
        const call = calls.get(index) ?? { id: '', name: '', arguments: '' };
        if (delta.id) call.id = delta.id;
        // The name comes whole in one delta; later deltas may repeat it, so it is not appended.
        if (delta.function?.name && !call.name) call.name = delta.function.name;
        call.arguments += delta.function?.arguments ?? '';
        calls.set(index, call);
      }
    }
  }
  if (filter) deliver(filter.flush());
  if (!sawChoice) throw invalidOutput(options.provider, `${options.provider} ended the stream without an answer.`);

  const { usage, costUsd } = readUsage(usageRaw);
  const toolCalls = [...calls.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, call]) => ({ id: call.id || newToolCallId(), name: call.name, arguments: normalizeArguments(call.arguments) }));
  return { text, toolCalls, finishReason, usage, reportedCostUsd: costUsd, model };
}
