/**
 * One trajectory: everything a task's run produced, as one JSON line of
 * `trajectories.jsonl` (format `cairn.trajectory/1`, documented in the README's
 * "RL and fine-tuning" section). Messages are in the OpenAI chat format, system
 * prompt first, so they export without guessing. Read back through the zod schema.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Redactor } from '../core/redact.js';
import type { ChatMessage, ToolDefinition } from '../model/types.js';
import { rewardObjectSchema } from './rewards/spec.js';
import type { Task } from './tasks.js';

export const TRAJECTORY_FORMAT = 'cairn.trajectory/1';

const toolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function'),
  function: z.object({ name: z.string(), arguments: z.string() }),
});

export const openAIMessageSchema = z.discriminatedUnion('role', [
  z.object({ role: z.literal('system'), content: z.string() }),
  z.object({ role: z.literal('user'), content: z.string(), name: z.string().optional() }),
  z.object({ role: z.literal('assistant'), content: z.string().nullable(), tool_calls: z.array(toolCallSchema).optional() }),
  z.object({ role: z.literal('tool'), content: z.string(), tool_call_id: z.string(), name: z.string().optional() }),
]);

export const openAIToolSchema = z.object({
  type: z.literal('function'),
  function: z.object({ name: z.string(), description: z.string(), parameters: z.record(z.string(), z.unknown()) }),
});

export type OpenAIMessage = z.output<typeof openAIMessageSchema>;
export type OpenAIToolCall = z.output<typeof toolCallSchema>;
export type OpenAITool = z.output<typeof openAIToolSchema>;

const count = z.number().int().nonnegative();

export const trajectorySchema = z.looseObject({
  format: z.literal(TRAJECTORY_FORMAT),
  taskId: z.string(),
  /** batch: `cairn batch run`; atropos: a group member sent to a trainer; chat: a live task (learning loop). */
  source: z.enum(['batch', 'atropos', 'chat']),
  status: z.enum(['ok', 'error', 'timeout']),
  model: z.string().nullable(),
  /** sha256 (hex) of the system prompt, to group runs that saw the same prompt. */
  systemPromptHash: z.string(),
  messages: z.array(openAIMessageSchema),
  tools: z.array(openAIToolSchema),
  skills: z.array(z.object({ name: z.string(), version: z.number().int().nullable() })),
  toolStats: z.object({
    calls: count,
    errors: count,
    byName: z.record(z.string(), z.object({ calls: count, errors: count, totalMs: z.number().nonnegative() })),
  }),
  errors: z.array(z.object({ code: z.string(), message: z.string() })),
  usage: z.object({ modelCalls: count, promptTokens: count, completionTokens: count, cachedTokens: count, costUsd: z.number().nonnegative().nullable() }),
  timing: z.object({ startedAt: z.string(), durationMs: z.number().nonnegative(), modelMs: z.number().nonnegative() }),
  stopReason: z.string().nullable(),
  steps: count,
  reward: z.number().nullable(),
  /** `model`: the model that gave the score (the judge's), so a dataset says who graded it. */
  rewardDetail: z.object({ kind: z.string(), score: z.number(), reason: z.string().optional(), model: z.string().optional() }).nullable(),
  task: z.object({
    id: z.string(),
    prompt: z.string(),
    expected: z.unknown().optional(),
    reward: rewardObjectSchema.optional(),
    metadata: z.record(z.string(), z.unknown()).optional(),
  }),
});

export type Trajectory = z.output<typeof trajectorySchema> & { task: Task };

export function toOpenAIMessage(message: ChatMessage): OpenAIMessage {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return message.name ? { role: 'user', content: message.content, name: message.name } : { role: 'user', content: message.content };
    case 'tool':
      return { role: 'tool', content: message.content, tool_call_id: message.toolCallId, ...(message.name ? { name: message.name } : {}) };
    case 'assistant':
      return message.toolCalls?.length
        ? { role: 'assistant', content: message.content, tool_calls: message.toolCalls.map((call) => ({ id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } })) }
        : { role: 'assistant', content: message.content ?? '' };
  }
}

export function toOpenAITool(definition: ToolDefinition): OpenAITool {
  return { type: 'function', function: { name: definition.name, description: definition.description, parameters: definition.parameters } };
}

/** The trajectory as it is written: secrets masked wherever text from the task, the agent or a reward can hold one. */
export function redactTrajectory(trajectory: Trajectory, redactor: Redactor): Trajectory {
  return {
    ...trajectory,
    messages: redactor.value(trajectory.messages),
    errors: redactor.value(trajectory.errors),
    task: redactor.value(trajectory.task),
    rewardDetail: redactor.value(trajectory.rewardDetail),
  };
}

export function hashText(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The answer a reward looks at: the last assistant message's text. */
export function finalAnswer(trajectory: Pick<Trajectory, 'messages'>): string {
  for (let i = trajectory.messages.length - 1; i >= 0; i--) {
    const message = trajectory.messages[i];
    if (message?.role === 'assistant' && message.content) return message.content;
  }
  return '';
}

/** Counts tool calls per name from the assistant messages and the agent's call records. */
export function toolStatsOf(records: readonly { name: string; ok: boolean; durationMs: number }[]): Trajectory['toolStats'] {
  const byName: Trajectory['toolStats']['byName'] = {};
  let errors = 0;
  for (const record of records) {
    const entry = (byName[record.name] ??= { calls: 0, errors: 0, totalMs: 0 });
    entry.calls++;
    entry.totalMs += record.durationMs;
    if (!record.ok) {
      entry.errors++;
      errors++;
    }
  }
  return { calls: records.length, errors, byName };
}
