/**
 * Tool calls a small model writes as bare JSON: told to wrap each call in <tool_call> tags
 * (hermes.ts), models of a few billion parameters served by Ollama, vLLM or llama.cpp often
 * answer with the JSON alone, or in a ```json block, as Llama's own tool format has it. That
 * reply reached the user as the answer and the tool never ran. It counts as calls only when
 * the whole reply is the call (an object, or an array of them, naming a tool the request
 * offered, with nothing but `name`, `arguments` or `parameters`, `type` and `id`): JSON
 * inside an answer, or about anything else, stays text.
 */
import { z } from 'zod';
import { newToolCallId } from './hermes.js';
import { parseJsonLeniently } from './lenient-json.js';
import type { ToolCall } from './types.js';

const FENCED = /^```[ \t]*(?:json)?[ \t]*\n([\s\S]*?)\n?[ \t]*```$/i;

const argumentsSchema = z.union([z.record(z.string(), z.unknown()), z.string()]);
const callSchema = z
  .object({ name: z.string().min(1), arguments: argumentsSchema.optional(), parameters: argumentsSchema.optional(), type: z.literal('function').optional(), id: z.string().optional() })
  .strict()
  .refine((call) => call.arguments !== undefined || call.parameters !== undefined);

/** The calls a reply is, when the whole reply is bare tool-call JSON naming offered tools; else undefined. */
export function parseBareToolCalls(text: string, toolNames: readonly string[], makeId: () => string = newToolCallId): ToolCall[] | undefined {
  if (toolNames.length === 0) return undefined;
  const trimmed = text.trim();
  const body = (FENCED.exec(trimmed)?.[1] ?? trimmed).trim();
  if (!body.startsWith('{') && !body.startsWith('[')) return undefined;
  const parsed = parseJsonLeniently(body);
  if (!parsed.ok) return undefined;
  const values: unknown[] = Array.isArray(parsed.value) ? parsed.value : [parsed.value];
  if (values.length === 0) return undefined;
  const calls: ToolCall[] = [];
  for (const value of values) {
    const call = callSchema.safeParse(value);
    if (!call.success || !toolNames.includes(call.data.name)) return undefined;
    const args = call.data.arguments ?? call.data.parameters ?? {};
    calls.push({ id: makeId(), name: call.data.name, arguments: typeof args === 'string' ? args : JSON.stringify(args) });
  }
  return calls;
}

/**
 * Streamed text held back while the reply so far may still be a bare call (it starts with `{`,
 * `[` or a JSON code fence), so the user is not shown the JSON of a call that then runs; decided
 * at the end by the same rule as the final parse. Any other reply streams as before.
 */
export class BareToolCallHold {
  private held = '';
  private holding: boolean;

  constructor(private readonly toolNames: readonly string[]) {
    this.holding = toolNames.length > 0;
  }

  push(text: string): string {
    if (!this.holding) return text;
    this.held += text;
    if (mayBeBareCall(this.held)) return '';
    this.holding = false;
    const out = this.held;
    this.held = '';
    return out;
  }

  /** The end of the reply: what was held is the user's unless it was a call. */
  flush(): string {
    const held = this.held;
    this.held = '';
    return parseBareToolCalls(held, this.toolNames) ? '' : held;
  }
}

/** Whether text that starts a reply may yet turn out to be bare call JSON. */
function mayBeBareCall(text: string): boolean {
  const start = text.trimStart();
  if (start === '' || start.startsWith('{') || start.startsWith('[')) return true;
  // A fence still being written ("`", "``json"), or one whose first line is done.
  const fence = /^`{1,3}$|^```[ \t]*([A-Za-z]*)[ \t]*(?:\n([\s\S]*))?$/.exec(start);
  if (!fence) return false;
  const language = (fence[1] ?? '').toLowerCase();
  const body = fence[2];
  if (body === undefined) return 'json'.startsWith(language);
  if (language !== '' && language !== 'json') return false;
  const first = body.trimStart()[0];
  return first === undefined || first === '{' || first === '[';
}
