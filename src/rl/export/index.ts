/**
 * `cairn export`: turns finished conversations into a fine-tuning file. Failed
 * runs and (with --min-reward) low or unscored ones are left out; each line is
 * redacted, formatted, validated, and written once however often it occurs. With
 * --val-split a fixed share of tasks, chosen by a hash of the task id (so the same
 * task falls on the same side in every export), goes to the validation file.
 * Files are written whole to a temporary name and renamed.
 */
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { createHash } from 'node:crypto';
import { createRedactor } from '../../core/redact.js';
import { stableHash } from '../shard.js';
import { formatRecord, type ExportFormat } from './formats.js';
import { validateLine } from './schemas.js';
import type { ExportRecord, ExportSource } from './source.js';

export interface ExportOptions {
  format: ExportFormat;
  out: string;
  /** Where the validation share goes; default: `<out without .jsonl>.val.jsonl`. */
  valOut?: string | undefined;
  minReward?: number | undefined;
  /** Share of tasks for validation, 0 ≤ x < 1. */
  valSplit?: number | undefined;
  /** Secret values from config to mask, besides the credential patterns. */
  secrets?: readonly string[];
}

export interface ExportStats {
  read: number;
  written: number;
  train: number;
  validation: number;
  skipped: { failed: number; belowMinReward: number; unscored: number; duplicate: number; invalid: number };
  /** Live tasks left out because their person used /forget since (see live-tasks.ts). */
  forgotten: number;
  /** Live tasks left out because their steps were deleted after CAIRN_KEEP_HISTORY_DAYS. */
  expired: number;
  /** The first few invalid lines and why, for the user to look at. */
  invalidExamples: string[];
  files: { train: string; validation: string | undefined };
}

const MAX_EXAMPLES = 5;

export function validationPath(out: string): string {
  return out.endsWith('.jsonl') ? `${out.slice(0, -'.jsonl'.length)}.val.jsonl` : `${out}.val.jsonl`;
}

export async function exportRecords(sources: readonly ExportSource[], options: ExportOptions): Promise<ExportStats> {
  const redactor = createRedactor(options.secrets ?? []);
  const split = options.valSplit ?? 0;
  const valOut = split > 0 ? (options.valOut ?? validationPath(options.out)) : undefined;
  const stats: ExportStats = {
    read: 0,
    written: 0,
    train: 0,
    validation: 0,
    skipped: { failed: 0, belowMinReward: 0, unscored: 0, duplicate: 0, invalid: 0 },
    forgotten: 0,
    expired: 0,
    invalidExamples: [],
    files: { train: options.out, validation: valOut },
  };
  const seen = new Set<string>();
  const train = await TempJsonl.create(options.out);
  const validation = valOut ? await TempJsonl.create(valOut) : undefined;
  try {
    for (const source of sources) {
      for await (const record of source) {
        stats.read++;
        if (record.forgotten) {
          stats.forgotten++;
          continue;
        }
        if (record.expired) {
          stats.expired++;
          continue;
        }
        const reason = exclusion(record, options.minReward);
        if (reason) {
          stats.skipped[reason]++;
          continue;
        }
        const line = formatRecord({ ...record, messages: redactor.value(record.messages) }, options.format);
        const problems = validateLine(options.format, line);
        if (problems.length > 0) {
          stats.skipped.invalid++;
          if (stats.invalidExamples.length < MAX_EXAMPLES) stats.invalidExamples.push(`task ${record.taskId}: ${problems.join('; ')}`);
          continue;
        }
        const text = JSON.stringify(line);
        const key = dedupeKey(line);
        if (seen.has(key)) {
          stats.skipped.duplicate++;
          continue;
        }
        seen.add(key);
        const toValidation = validation !== undefined && stableHash(`val:${record.taskId}`) / 2 ** 32 < split;
        await (toValidation ? validation : train).write(text);
        stats.written++;
        if (toValidation) stats.validation++;
        else stats.train++;
      }
    }
    await train.commit();
    await validation?.commit();
  } finally {
    await train.discard();
    await validation?.discard();
  }
  return stats;
}

/**
 * What dedupe compares: the line's text with its tool-call ids numbered in order of appearance.
 * Providers make up a new id per call (`call_…`), so the same conversation from two runs (a task
 * run again, a prompt listed under two ids) differed only there and was written twice, the two
 * copies possibly on both sides of the validation split.
 */
function dedupeKey(line: Record<string, unknown>): string {
  const numbers = new Map<string, string>();
  const numbered = (id: string): string => {
    if (!numbers.has(id)) numbers.set(id, `#${numbers.size}`);
    return numbers.get(id) as string;
  };
  const messages = Array.isArray(line.messages)
    ? (line.messages as Record<string, unknown>[]).map((message) => {
        if (typeof message.tool_call_id === 'string') return { ...message, tool_call_id: numbered(message.tool_call_id) };
        if (!Array.isArray(message.tool_calls)) return message;
        return { ...message, tool_calls: (message.tool_calls as { id: string }[]).map((call) => ({ ...call, id: numbered(call.id) })) };
      })
    : undefined;
  return createHash('sha256').update(JSON.stringify(messages ? { ...line, messages } : line)).digest('hex');
}

/** OpenAI's fine-tuning refuses a training file with fewer examples than this. */
const OPENAI_MIN_EXAMPLES = 10;

/** What makes the files written unfit for training, in words; empty when nothing does. */
export function exportWarnings(stats: ExportStats, format: ExportFormat): string[] {
  const warnings: string[] = [];
  if (stats.train === 0 && stats.validation > 0) {
    warnings.push(
      `The training file is empty: ${stats.validation === 1 ? 'the one example' : `all ${stats.validation} examples`} fell in the validation share (a task's side is fixed by its id). Lower --val-split, or export more tasks.`,
    );
  }
  if (format === 'openai' && stats.train > 0 && stats.train < OPENAI_MIN_EXAMPLES) {
    warnings.push(`OpenAI fine-tuning needs at least ${OPENAI_MIN_EXAMPLES} training examples; ${stats.files.train} has ${stats.train}.`);
  }
  return warnings;
}

function exclusion(record: ExportRecord, minReward: number | undefined): 'failed' | 'belowMinReward' | 'unscored' | undefined {
  if (!record.ok) return 'failed';
  if (minReward === undefined) return undefined;
  if (record.reward === null) return 'unscored';
  return record.reward < minReward ? 'belowMinReward' : undefined;
}

/** A JSONL file written under a temporary name and renamed into place on commit. */
class TempJsonl {
  private buffered: string[] = [];
  private committed = false;

  private constructor(private readonly handle: Awaited<ReturnType<typeof open>>, private readonly tmp: string, private readonly path: string) {}

  static async create(path: string): Promise<TempJsonl> {
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    return new TempJsonl(await open(tmp, 'w'), tmp, path);
  }

  async write(line: string): Promise<void> {
    this.buffered.push(`${line}\n`);
    if (this.buffered.length >= 256) await this.flush();
  }

  async commit(): Promise<void> {
    await this.flush();
    await this.handle.sync();
    await this.handle.close();
    await rename(this.tmp, this.path);
    this.committed = true;
  }

  async discard(): Promise<void> {
    if (this.committed) return;
    await this.handle.close().catch(() => undefined);
    await rm(this.tmp, { force: true });
  }

  private async flush(): Promise<void> {
    if (this.buffered.length === 0) return;
    const text = this.buffered.join('');
    this.buffered = [];
    await this.handle.appendFile(text);
  }
}
