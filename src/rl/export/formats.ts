/**
 * The three fine-tuning formats, one line per conversation:
 * - openai: `{messages, tools?}` as OpenAI's chat fine-tuning takes it (assistant
 *   `tool_calls`, `tool` messages with `tool_call_id`).
 * - sharegpt: `{conversations: [{from, value}], tools?}` with from system/human/gpt/tool;
 *   tool calls are `<tool_call>` blocks in the gpt turn, tool results the raw text (the
 *   results of parallel calls in one tool turn, see PARALLEL_RESULTS_SEPARATOR), `tools` the
 *   JSON text of the tool definitions.
 * - hermes: Nous Research's function-calling layout: the tool signatures inside
 *   `<tools></tools>` in the system prompt, `<tool_call>` blocks in gpt turns, and
 *   each turn of tool results as `<tool_response>` blocks.
 */
import type { ExportRecord } from './source.js';
import type { OpenAIMessage, OpenAITool, OpenAIToolCall } from '../trajectory.js';
import { jsonInText } from '../../model/hermes.js';

export const EXPORT_FORMATS = ['openai', 'sharegpt', 'hermes'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface ShareGptTurn {
  from: 'system' | 'human' | 'gpt' | 'tool';
  value: string;
}

export function formatRecord(record: ExportRecord, format: ExportFormat): Record<string, unknown> {
  switch (format) {
    case 'openai':
      return toOpenAI(record);
    case 'sharegpt':
      return toShareGpt(record);
    case 'hermes':
      return toHermes(record);
  }
}

export function toOpenAI(record: ExportRecord): Record<string, unknown> {
  const messages = record.messages.map((message) => {
    if (message.role === 'assistant' && message.tool_calls?.length) {
      return message.content ? { role: 'assistant', content: message.content, tool_calls: message.tool_calls } : { role: 'assistant', tool_calls: message.tool_calls };
    }
    // The fine-tuning format's tool messages carry only the call id and the content.
    if (message.role === 'tool') return { role: 'tool', tool_call_id: message.tool_call_id, content: message.content };
    return message;
  });
  return record.tools.length > 0 ? { messages, tools: record.tools } : { messages };
}

/**
 * Between the results of parallel calls in one sharegpt tool turn: how LLaMA-Factory joins the
 * consecutive tool messages of its OpenAI-format data, since its templates (Qwen's, Hermes')
 * wrap an observation turn in one `<tool_response>` block: each result then gets its own.
 */
export const PARALLEL_RESULTS_SEPARATOR = '\n</tool_response>\n<tool_response>\n';

export function toShareGpt(record: ExportRecord): Record<string, unknown> {
  const conversations: ShareGptTurn[] = [];
  for (const message of record.messages) {
    if (message.role === 'system') conversations.push({ from: 'system', value: message.content });
    else if (message.role === 'user') conversations.push({ from: 'human', value: message.content });
    else if (message.role === 'assistant') conversations.push({ from: 'gpt', value: assistantText(message) });
    else {
      const last = conversations.at(-1);
      // One tool turn per gpt turn: LLaMA-Factory skips a conversation whose turns do not alternate.
      if (last?.from === 'tool') last.value = `${last.value}${PARALLEL_RESULTS_SEPARATOR}${message.content}`;
      else conversations.push({ from: 'tool', value: message.content });
    }
  }
  return record.tools.length > 0 ? { conversations, tools: JSON.stringify(record.tools) } : { conversations };
}

export function toHermes(record: ExportRecord): Record<string, unknown> {
  const conversations: ShareGptTurn[] = [];
  const callNames = new Map<string, string>();
  const system = record.messages.find((m) => m.role === 'system')?.content ?? '';
  conversations.push({ from: 'system', value: hermesSystemPrompt(record.tools, system) });
  for (const message of record.messages) {
    if (message.role === 'system') continue;
    if (message.role === 'user') conversations.push({ from: 'human', value: message.content });
    else if (message.role === 'assistant') {
      for (const call of message.tool_calls ?? []) callNames.set(call.id, call.function.name);
      conversations.push({ from: 'gpt', value: assistantText(message) });
    } else {
      // Escaped as Cairn's hermes mode sends it: a `</tool_response>` in a page or file would end the block early.
      const block = `<tool_response>\n${jsonInText({ name: message.name ?? callNames.get(message.tool_call_id) ?? 'unknown', content: parseMaybeJson(message.content) })}\n</tool_response>`;
      const last = conversations.at(-1);
      // Results of parallel calls share one tool turn, as the model will see them.
      if (last?.from === 'tool') last.value = `${last.value}\n${block}`;
      else conversations.push({ from: 'tool', value: block });
    }
  }
  return { conversations };
}

export function hermesSystemPrompt(tools: readonly OpenAITool[], system: string): string {
  if (tools.length === 0) return system;
  const signatures = tools.map((tool) => JSON.stringify(tool)).join('\n');
  const calling = [
    'You can call functions to help with the request. Their signatures are given inside <tools></tools> XML tags:',
    `<tools>\n${signatures}\n</tools>`,
    'To call a function, write a JSON object with the function name and its arguments inside <tool_call></tool_call> XML tags:',
    '<tool_call>\n{"name": <function-name>, "arguments": <args-object>}\n</tool_call>',
    'Results come back inside <tool_response></tool_response> XML tags.',
  ].join('\n');
  return system ? `${system}\n\n${calling}` : calling;
}

/** The assistant's text followed by one `<tool_call>` block per call. */
export function assistantText(message: Extract<OpenAIMessage, { role: 'assistant' }>): string {
  const blocks = (message.tool_calls ?? []).map(toolCallBlock);
  return [message.content ?? '', ...blocks].filter((part) => part !== '').join('\n');
}

function toolCallBlock(call: OpenAIToolCall): string {
  return `<tool_call>\n${jsonInText({ name: call.function.name, arguments: call.function.arguments.trim() === '' ? {} : parseMaybeJson(call.function.arguments) })}\n</tool_call>`;
}

function parseMaybeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}
