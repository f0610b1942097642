/**
 * Every exported line is checked before it is written: a JSON Schema per format
 * (ajv), then the rules a schema cannot say — the conversation ends with the
 * assistant, every tool result answers a call made before it, every call names an
 * offered tool and carries JSON arguments, every `<tool_call>` block parses.
 */
import { Ajv, type ValidateFunction } from 'ajv';
import type { ExportFormat } from './formats.js';

const toolDefinition = {
  type: 'object',
  required: ['type', 'function'],
  additionalProperties: false,
  properties: {
    type: { const: 'function' },
    function: {
      type: 'object',
      required: ['name'],
      additionalProperties: false,
      properties: { name: { type: 'string', pattern: '^[a-zA-Z0-9_-]{1,64}$' }, description: { type: 'string' }, parameters: { type: 'object' } },
    },
  },
} as const;

const toolCall = {
  type: 'object',
  required: ['id', 'type', 'function'],
  additionalProperties: false,
  properties: {
    id: { type: 'string', minLength: 1 },
    type: { const: 'function' },
    function: { type: 'object', required: ['name', 'arguments'], additionalProperties: false, properties: { name: { type: 'string', minLength: 1 }, arguments: { type: 'string' } } },
  },
} as const;

/** OpenAI's chat fine-tuning line, with tools (platform.openai.com/docs/guides/fine-tuning, "function calling"). */
export const OPENAI_LINE_SCHEMA = {
  type: 'object',
  required: ['messages'],
  additionalProperties: false,
  properties: {
    messages: {
      type: 'array',
      minItems: 2,
      items: {
        oneOf: [
          { type: 'object', required: ['role', 'content'], additionalProperties: false, properties: { role: { enum: ['system', 'developer'] }, content: { type: 'string' }, name: { type: 'string' } } },
          { type: 'object', required: ['role', 'content'], additionalProperties: false, properties: { role: { const: 'user' }, content: { type: 'string' }, name: { type: 'string' } } },
          {
            type: 'object',
            required: ['role'],
            additionalProperties: false,
            anyOf: [{ required: ['content'] }, { required: ['tool_calls'] }],
            properties: { role: { const: 'assistant' }, content: { type: ['string', 'null'] }, tool_calls: { type: 'array', minItems: 1, items: toolCall }, weight: { enum: [0, 1] }, name: { type: 'string' } },
          },
          { type: 'object', required: ['role', 'tool_call_id', 'content'], additionalProperties: false, properties: { role: { const: 'tool' }, tool_call_id: { type: 'string', minLength: 1 }, content: { type: 'string' } } },
        ],
      },
    },
    tools: { type: 'array', items: toolDefinition },
    parallel_tool_calls: { type: 'boolean' },
  },
} as const;

const SHAREGPT_TURN = { type: 'object', required: ['from', 'value'], additionalProperties: false, properties: { from: { enum: ['system', 'human', 'gpt', 'tool'] }, value: { type: 'string' } } } as const;

export const SHAREGPT_LINE_SCHEMA = {
  type: 'object',
  required: ['conversations'],
  additionalProperties: false,
  properties: { conversations: { type: 'array', minItems: 2, items: SHAREGPT_TURN }, tools: { type: 'string' } },
} as const;

export const HERMES_LINE_SCHEMA = {
  type: 'object',
  required: ['conversations'],
  additionalProperties: false,
  properties: { conversations: { type: 'array', minItems: 3, items: SHAREGPT_TURN } },
} as const;

const ajv = new Ajv({ allErrors: true, strict: false });
const validators: Record<ExportFormat, ValidateFunction> = {
  openai: ajv.compile(OPENAI_LINE_SCHEMA),
  sharegpt: ajv.compile(SHAREGPT_LINE_SCHEMA),
  hermes: ajv.compile(HERMES_LINE_SCHEMA),
};

/** Problems with one line; empty when it is valid. */
export function validateLine(format: ExportFormat, line: unknown): string[] {
  const validate = validators[format];
  if (!validate(line)) return [ajv.errorsText(validate.errors, { dataVar: 'line' })];
  return format === 'openai' ? openAIRules(line as OpenAILine) : shareGptRules(line as ShareGptLine, format);
}

interface OpenAILine {
  messages: { role: string; content?: string | null; tool_calls?: { id: string; function: { name: string; arguments: string } }[]; tool_call_id?: string }[];
  tools?: { function: { name: string } }[];
}

function openAIRules(line: OpenAILine): string[] {
  const problems: string[] = [];
  const offered = new Set(line.tools?.map((tool) => tool.function.name));
  const open = new Set<string>();
  const last = line.messages.at(-1);
  if (last?.role !== 'assistant' || !last.content) problems.push('the conversation must end with an assistant message that has text');
  line.messages.forEach((message, index) => {
    for (const call of message.tool_calls ?? []) {
      open.add(call.id);
      if (!offered.has(call.function.name)) problems.push(`message ${index} calls "${call.function.name}", which is not in tools`);
      if (!isJson(call.function.arguments || '{}')) problems.push(`message ${index}: the arguments of "${call.function.name}" are not JSON`);
    }
    if (message.role === 'tool') {
      if (!open.delete(message.tool_call_id ?? '')) problems.push(`message ${index} answers tool call "${message.tool_call_id}", which was not made before it`);
    }
  });
  if (open.size > 0) problems.push(`tool calls without a result: ${[...open].join(', ')}`);
  return problems;
}

interface ShareGptLine {
  conversations: { from: string; value: string }[];
  tools?: string;
}

function shareGptRules(line: ShareGptLine, format: ExportFormat): string[] {
  const problems: string[] = [];
  const turns = line.conversations;
  const firstSpeaker = turns.find((turn) => turn.from !== 'system');
  if (firstSpeaker?.from !== 'human') problems.push('the first turn after the system prompt must be human');
  const last = turns.at(-1);
  if (last?.from !== 'gpt' || last.value.trim() === '') problems.push('the conversation must end with a gpt turn that has text');
  if (line.tools !== undefined && !isJson(line.tools)) problems.push('tools is not JSON text');
  const offered = offeredTools(line, format);
  turns.forEach((turn, index) => {
    if (turn.from === 'system' && index !== 0) problems.push(`turn ${index}: a system turn must come first`);
    // One tool turn per gpt turn (parallel results share it): LLaMA-Factory skips a conversation whose turns do not alternate.
    if (turn.from === 'tool' && turns[index - 1]?.from !== 'gpt') problems.push(`turn ${index}: a tool turn must follow a gpt turn`);
    if (turn.from === 'gpt') {
      for (const block of blocks(turn.value, 'tool_call')) {
        const call = parseJson(block) as { name?: unknown; arguments?: unknown } | undefined;
        if (typeof call?.name !== 'string' || typeof call.arguments !== 'object' || call.arguments === null) problems.push(`turn ${index}: a <tool_call> is not {"name", "arguments": {...}}`);
        else if (!offered.has(call.name)) problems.push(`turn ${index} calls "${call.name}", which is not among the tools offered`);
      }
    }
    if (format === 'hermes' && turn.from === 'tool') {
      const responses = blocks(turn.value, 'tool_response');
      if (responses.length === 0 || responses.some((r) => parseJson(r) === undefined)) problems.push(`turn ${index}: a tool turn must hold <tool_response> blocks of JSON`);
    }
  });
  if (format === 'hermes' && turns[0]?.from !== 'system') problems.push('the first turn must be the system prompt');
  if (format === 'hermes' && turns.some((t) => t.from === 'gpt' && t.value.includes('<tool_call>')) && !/<tools>[\s\S]*<\/tools>/.test(turns[0]?.value ?? '')) {
    problems.push('the system prompt must list the tools inside <tools></tools>');
  }
  return problems;
}

/** The names of the tools a line offers: sharegpt's `tools` JSON, hermes' signatures (one JSON per line) inside `<tools>` of the system prompt. */
function offeredTools(line: ShareGptLine, format: ExportFormat): Set<string> {
  const listed = format === 'hermes' ? blocks(line.conversations[0]?.value ?? '', 'tools').flatMap((block) => block.split('\n').map(parseJson)) : [parseJson(line.tools ?? '[]')].flat();
  const names = listed.map((tool) => (tool as { function?: { name?: unknown } } | undefined)?.function?.name);
  return new Set(names.filter((name): name is string => typeof name === 'string'));
}

function blocks(text: string, tag: string): string[] {
  return [...text.matchAll(new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`, 'g'))].map((match) => (match[1] ?? '').trim());
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isJson(text: string): boolean {
  return parseJson(text) !== undefined;
}
