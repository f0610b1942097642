/**
 * What the exporters read: conversations with their tools and reward, whatever
 * produced them. Batch runs are one source; live chat tasks (the learning loop's
 * tasks and outcomes) become another by yielding the same ExportRecord, gated by
 * config, without the formats knowing the difference.
 */
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { CairnError } from '../../core/errors.js';
import { readLatestTrajectories } from '../jsonl.js';
import type { OpenAIMessage, OpenAITool, Trajectory } from '../trajectory.js';

export interface ExportRecord {
  /** Decides the train/validation split, so one task lands on the same side in every run. */
  taskId: string;
  source: Trajectory['source'];
  /** OpenAI chat messages, system prompt first. */
  messages: OpenAIMessage[];
  tools: OpenAITool[];
  reward: number | null;
  /** False for errors and timeouts: never exported, counted. */
  ok: boolean;
  /** A live task asked before its person's /forget: never exported, counted (its messages are left empty). */
  forgotten?: boolean;
  /** A live task whose steps went with CAIRN_KEEP_HISTORY_DAYS (store/history-retention.ts): never exported empty, counted. */
  expired?: boolean;
}

export type ExportSource = AsyncIterable<ExportRecord>;

export function recordFromTrajectory(trajectory: Trajectory): ExportRecord {
  return {
    taskId: trajectory.taskId,
    source: trajectory.source,
    messages: trajectory.messages,
    tools: trajectory.tools,
    reward: trajectory.reward,
    ok: trajectory.status === 'ok',
  };
}

/** A run directory (its trajectories.jsonl) or a trajectories file itself. */
export function trajectoryFileOf(input: string): string {
  const path = resolve(input);
  if (!existsSync(path)) throw new CairnError('invalid_input', `${input} does not exist: pass a run directory written by \`cairn batch run\` or a trajectories.jsonl.`);
  if (statSync(path).isDirectory()) {
    const file = join(path, 'trajectories.jsonl');
    if (!existsSync(file)) throw new CairnError('invalid_input', `${input} has no trajectories.jsonl: is it the --out of a batch run?`);
    return file;
  }
  return path;
}

export async function* recordsFromRuns(inputs: readonly string[]): ExportSource {
  const files = inputs.map(trajectoryFileOf);
  for (const file of files) {
    // A task run again by --retry-failed has its failed attempt earlier in the file: its last line counts.
    for await (const trajectory of readLatestTrajectories(file)) yield recordFromTrajectory(trajectory);
  }
}
