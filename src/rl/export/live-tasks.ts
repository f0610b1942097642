/**
 * Live chat tasks (the learning loop's tasks) as export records: the session's
 * system prompt, the task's messages, the tools it called, and a reward from its
 * outcome (success 1, failure 0, unknown unscored). Off unless config allows it,
 * because these are real people's conversations. A task its person asked before a
 * /forget is left out (counted): its prompt, note tools and their own words may hold
 * what they had deleted, as notes extraction leaves out what they said before it.
 */
import type { Db } from '../../store/db.js';
import { CairnError } from '../../core/errors.js';
import { SessionStore } from '../../memory/sessions.js';
import { NoteStore } from '../../memory/notes/store.js';
import { TaskStore, type Task } from '../../learning/tasks.js';
import type { ToolDefinition } from '../../model/types.js';
import { toOpenAIMessage, toOpenAITool } from '../trajectory.js';
import type { ExportRecord, ExportSource } from './source.js';

export interface LiveTaskOptions {
  allowed: boolean;
  /** Only tasks recorded at or after this time (ms epoch). */
  since?: number | undefined;
  /** Definitions of the tools Cairn offers, to describe the ones a task called. */
  tools: readonly ToolDefinition[];
}

export function recordFromTask(task: Task, systemPrompt: string, tools: readonly ToolDefinition[]): ExportRecord {
  const called = new Set(task.trajectory.flatMap((m) => (m.role === 'assistant' ? (m.toolCalls ?? []).map((c) => c.name) : [])));
  return {
    taskId: `live-${task.id}`,
    source: 'chat',
    messages: [{ role: 'system', content: systemPrompt }, ...task.trajectory.map(toOpenAIMessage)],
    tools: tools.filter((tool) => called.has(tool.name)).map(toOpenAITool),
    reward: task.outcome === 'success' ? 1 : task.outcome === 'failure' ? 0 : null,
    ok: true,
  };
}

export async function* recordsFromLiveTasks(db: Db, options: LiveTaskOptions): ExportSource {
  if (!options.allowed) {
    throw new CairnError('config', 'Exporting live chat tasks is off: they are real conversations. Set CAIRN_EXPORT_LIVE_TASKS=true (or rl.exportLiveTasks in the config file) to allow it.');
  }
  const sessions = new SessionStore(db);
  const tasks = new TaskStore(db);
  const notes = new NoteStore(db);
  // One trajectory in memory at a time: a bot's tasks together can be hundreds of megabytes.
  for (const summary of tasks.summariesSince(options.since ?? 0)) {
    const forgottenAt = notes.owner(summary.userId)?.forgottenAt;
    if (forgottenAt !== undefined && summary.createdAt <= forgottenAt) {
      // Never read whole: nothing of it is needed to count it.
      yield { taskId: `live-${summary.id}`, source: 'chat', messages: [], tools: [], reward: null, ok: false, forgotten: true };
      continue;
    }
    const task = tasks.get(summary.id);
    if (!task) continue;
    // Its steps were deleted after CAIRN_KEEP_HISTORY_DAYS: a system prompt alone teaches nothing.
    if (task.trajectory.length === 0) {
      yield { taskId: `live-${task.id}`, source: 'chat', messages: [], tools: [], reward: null, ok: false, expired: true };
      continue;
    }
    const prefix = sessions.get(task.sessionId)?.prefix ?? '';
    yield recordFromTask(task, prefix, options.tools);
  }
}
