/**
 * Cairn's completion request → the OpenAI chat-completions body, for one provider's
 * tool mode. The reverse direction lives in response.ts and stream.ts.
 */
import type { ChatCompletionCreateParamsNonStreaming, ChatCompletionFunctionTool, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { toHermesMessages } from './hermes.js';
import { reasoningToSend } from './reasoning.js';
import type { ToolMode } from './providers.js';
import type { ChatMessage, CompletionRequest, ToolDefinition } from './types.js';

export interface PreparedRequest {
  /** The body without streaming fields; the client adds them when it streams. */
  body: ChatCompletionCreateParamsNonStreaming;
  /** Whether <tool_call> blocks in the reply text are tool calls (hermes and auto modes, tools offered), or are to be hidden (`hideToolCallText`, any mode). */
  parseTextToolCalls: boolean;
  /** The tools a reply that is only bare call JSON may call (bare-tool-call.ts): those offered outside native mode, none when no call may be made. */
  bareToolNames: string[];
}

/** `endpoint`: the base URL asked, the only one a model's reasoning goes back to (see reasoning.ts). */
export function prepareRequest(request: CompletionRequest, model: string, toolMode: ToolMode, endpoint: string): PreparedRequest {
  const hermes = toolMode === 'hermes';
  // Hermes mode lists tools in the prompt: ones that may not be called are not listed.
  const tools = hermes && request.toolChoice === 'none' ? [] : (request.tools ?? []);
  const messages = hermes ? toHermesMessages(request.messages, tools) : request.messages;
  const body: ChatCompletionCreateParamsNonStreaming = {
    model,
    // Hermes mode writes tool calls as text: no message carries them, nor reasoning behind them.
    messages: messages.map((message) => (hermes ? toOpenAIMessage(message) : { ...toOpenAIMessage(message), ...reasoningToSend(message, endpoint) })),
    ...(!hermes && tools.length > 0 ? { tools: tools.map(toOpenAITool), ...(request.toolChoice ? { tool_choice: request.toolChoice } : {}) } : {}),
    ...(request.maxTokens !== undefined ? { max_tokens: request.maxTokens } : {}),
    ...(request.temperature !== undefined ? { temperature: request.temperature } : {}),
    ...(request.json ? { response_format: { type: 'json_object' as const } } : {}),
  };
  // Native mode too hides them when asked: vLLM (0.10 on) keeps the tools in the prompt under
  // tool_choice "none" and parses no call, so a call the model still writes came to the user as text.
  const bareToolNames = toolMode !== 'native' && request.toolChoice !== 'none' ? tools.map((tool) => tool.name) : [];
  return { body, parseTextToolCalls: (toolMode !== 'native' && tools.length > 0) || request.hideToolCallText === true, bareToolNames };
}

export function toOpenAIMessage(message: ChatMessage): ChatCompletionMessageParam {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return { role: 'user', content: message.content, ...(message.name ? { name: message.name } : {}) };
    case 'assistant': {
      const calls = message.toolCalls ?? [];
      if (calls.length === 0) return { role: 'assistant', content: message.content ?? '' };
      return {
        role: 'assistant',
        content: message.content,
        tool_calls: calls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: replayableArguments(call.arguments) } })),
      };
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

/**
 * Tool-call arguments as a request may carry them back. vLLM and Ollama parse every replayed
 * call's arguments as JSON and refuse the whole request when one is not, so arguments the model
 * once wrote broken (or was cut off in, at its output limit) go back as a JSON object holding
 * the text as written; none at all go back as `{}`.
 */
export function replayableArguments(raw: string): string {
  if (raw.trim() === '') return '{}';
  try {
    JSON.parse(raw);
    return raw;
  } catch {
    return JSON.stringify({ unparsed_arguments: raw });
  }
}

export function toOpenAITool(tool: ToolDefinition): ChatCompletionFunctionTool {
  return { type: 'function', function: { name: tool.name, description: tool.description, parameters: tool.parameters } };
}
