/**
 * Hermes-style tool calling in plain text, for models served without the API's tools
 * parameter: tools are described in the system prompt inside <tools>, the model answers
 * with <tool_call>{"name", "arguments"}</tool_call> blocks, and tool results go back as
 * <tool_response> blocks in user messages (the format Hermes models are trained on).
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { parseJsonLeniently } from './lenient-json.js';
import { CLOSE, OPEN, scanToolCallBlocks } from './tool-call-scan.js';
import type { ChatMessage, ToolCall, ToolDefinition } from './types.js';

export { ToolCallTextFilter } from './tool-call-scan.js';

export function hermesToolPrompt(tools: readonly ToolDefinition[]): string {
  const signatures = tools.map((tool) => JSON.stringify({ type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } }));
  return [
    '# Tools',
    '',
    'You may call one or more functions to help with the request. The function signatures are listed within <tools></tools> XML tags:',
    '<tools>',
    `[${signatures.join(',\n')}]`,
    '</tools>',
    '',
    'To call a function, answer with a JSON object holding the function name and its arguments within <tool_call></tool_call> XML tags, one block per call:',
    OPEN,
    '{"name": <function-name>, "arguments": <arguments-json-object>}',
    CLOSE,
    'Results come back inside <tool_response></tool_response> tags. Do not make up results; wait for them.',
  ].join('\n');
}

/**
 * Rewrites a conversation for a model without native tools: the tool prompt joins the
 * system message, earlier tool calls become <tool_call> text and tool results become
 * user messages (consecutive results share one, and so does a question right after them, as
 * chat templates expect alternation).
 */
export function toHermesMessages(messages: readonly ChatMessage[], tools: readonly ToolDefinition[]): ChatMessage[] {
  const names = new Map<string, string>();
  const out: ChatMessage[] = [];
  const responses = new Set<ChatMessage>(); // user turns we made from tool results
  for (const message of messages) {
    if (message.role === 'assistant' && message.toolCalls?.length) {
      for (const call of message.toolCalls) names.set(call.id, call.name);
      const blocks = message.toolCalls.map(renderToolCall);
      out.push({ role: 'assistant', content: [message.content ?? '', ...blocks].filter((part) => part !== '').join('\n') });
    } else if (message.role === 'tool') {
      // Escaped: a `</tool_response>` in a web page or file would end the block, and the rest read as the user's words.
      const response = `<tool_response>\n${jsonInText({ name: message.name ?? names.get(message.toolCallId) ?? 'unknown', content: message.content })}\n</tool_response>`;
      const previous = out.at(-1);
      if (previous?.role === 'user' && responses.has(previous)) previous.content += `\n${response}`;
      else {
        const turn: ChatMessage = { role: 'user', content: response };
        responses.add(turn);
        out.push(turn);
      }
    } else if (message.role === 'user' && out.at(-1)?.role === 'user') {
      // A question after tool results whose turn was cut short: one user turn, as templates expect alternation.
      const previous = out.at(-1) as Extract<ChatMessage, { role: 'user' }>;
      previous.content += `\n\n${message.name ? `${message.name}: ` : ''}${message.content}`;
    } else {
      out.push({ ...message });
    }
  }
  if (tools.length === 0) return out;
  const prompt = hermesToolPrompt(tools);
  const first = out[0];
  if (first?.role === 'system') out[0] = { role: 'system', content: first.content ? `${first.content}\n\n${prompt}` : prompt };
  else out.unshift({ role: 'system', content: prompt });
  return out;
}

function renderToolCall(call: ToolCall): string {
  // Arguments are kept as the model wrote them; broken JSON is embedded as a string so the block stays JSON.
  const args = isJson(call.arguments) ? call.arguments : JSON.stringify(call.arguments);
  return `${OPEN}\n{"name": ${JSON.stringify(call.name)}, "arguments": ${args}}\n${CLOSE}`;
}

const blockSchema = z.object({ name: z.string().min(1), arguments: z.unknown().optional(), parameters: z.unknown().optional() });

export function newToolCallId(): string {
  return `call_${randomBytes(12).toString('hex')}`;
}

/**
 * Takes the <tool_call> blocks out of a reply (which count: see tool-call-scan.ts). A block
 * left open at the end counts (models often stop right after the JSON), and one block may hold
 * several calls (a JSON array, or one object per line). A block that is not JSON even after
 * lenient repair still becomes a call, with the raw inner text as arguments, so the agent can
 * tell the model what was wrong.
 */
export function parseToolCallBlocks(text: string, makeId: () => string = newToolCallId): { text: string; toolCalls: ToolCall[] } {
  if (!text.includes(OPEN)) return { text, toolCalls: [] };
  const { blocks } = scanToolCallBlocks(text, true);
  if (blocks.length === 0) return { text, toolCalls: [] };
  const toolCalls: ToolCall[] = [];
  let rest = '';
  let at = 0;
  for (const block of blocks) {
    rest += text.slice(at, block.start);
    at = block.end;
    toolCalls.push(...readBlock(block.body, makeId));
  }
  rest += text.slice(at);
  return { text: rest.replace(/\n{3,}/g, '\n\n').trim(), toolCalls };
}

function readBlock(inner: string, makeId: () => string): ToolCall[] {
  const body = inner.trim().replace(/^```[\w-]*\s*/, '').replace(/\s*```$/, '');
  const parsed = parseJsonLeniently(body);
  if (!parsed.ok) return [{ id: makeId(), name: /"name"\s*:\s*"([^"]+)"/.exec(body)?.[1] ?? '', arguments: body }];
  if (!Array.isArray(parsed.value)) return [readCall(parsed.value, body, makeId())];
  return parsed.value.map((value) => readCall(value, JSON.stringify(value), makeId()));
}

/** `raw`: what the call's arguments are when it has no name, so the model sees what it wrote. */
function readCall(value: unknown, raw: string, id: string): ToolCall {
  const block = blockSchema.safeParse(value);
  if (!block.success) return { id, name: '', arguments: raw };
  const args = block.data.arguments ?? block.data.parameters ?? {};
  // Some models send the arguments already stringified; keep that string as the raw JSON.
  return { id, name: block.data.name, arguments: typeof args === 'string' ? args : JSON.stringify(args) };
}

/** JSON with `<` and `>` as \u escapes (the same JSON), so no text inside can close a block around it. */
export function jsonInText(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e');
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}
