/**
 * The tool calls of one model reply, made fit to run and to record. What the history records is
 * sent back to the provider in every later request of the conversation, so anything a provider
 * would refuse there (a name, an id used twice, arguments that are not JSON) is mended here, once.
 */
import { newToolCallId } from '../model/hermes.js';
import { replayableArguments } from '../model/request.js';
import { toolNameFor } from '../model/tool-names.js';
import type { FinishReason, ToolCall } from '../model/types.js';

export interface StepCall {
  /** The call as it runs: arguments as the model wrote them, so a broken one is answered with what is wrong with it. */
  run: ToolCall;
  /** The call as the history records it. */
  recorded: ToolCall;
}

export interface StepCalls {
  calls: StepCall[];
  /** Copies of a call left out: same name and arguments as one before them in the reply. */
  repeats: number;
}

export function prepareStepCalls(calls: readonly ToolCall[], newId: () => string = newToolCallId): StepCalls {
  const prepared: StepCall[] = [];
  const seenCalls = new Set<string>();
  const seenIds = new Set<string>();
  for (const call of calls) {
    const name = toolNameFor(call.name);
    // A small model stuck in a loop writes one block until its output limit: it asked once.
    const key = `${name}\n${canonicalArguments(call.arguments)}`;
    if (seenCalls.has(key)) continue;
    seenCalls.add(key);
    // DeepSeek, GLM and Kimi endpoints have sent parallel calls under one id; results are matched by id.
    const id = call.id === '' || seenIds.has(call.id) ? newId() : call.id;
    seenIds.add(id);
    prepared.push({ run: { ...call, id, name }, recorded: { id, name, arguments: replayableArguments(call.arguments) } });
  }
  return { calls: prepared, repeats: calls.length - prepared.length };
}

/**
 * Whether a call's arguments were cut off by the model's output limit (the reply ended for
 * `length` and they do not parse): such a call is not run, and the model hears why, not only that
 * its JSON is broken (it sent the same long call again, cut at the same place).
 */
export function cutOffByLimit(call: ToolCall, finishReason: FinishReason): boolean {
  if (finishReason !== 'length') return false;
  try {
    JSON.parse(call.arguments);
    return false;
  } catch {
    return true;
  }
}

export function cutOffCallReply(name: string): string {
  return `This ${name} call was cut off at your output limit before its arguments were complete, so it did not run. Send it again smaller: split long content over several calls (a long file in parts), or write less at once.`;
}

/** The arguments as a value, so spacing does not make two identical calls look different. */
function canonicalArguments(raw: string): string {
  try {
    return JSON.stringify(JSON.parse(raw));
  } catch {
    return raw;
  }
}
