/**
 * The tasks file of a batch run: JSON Lines, one task per line,
 * `{"id", "prompt", "expected"?, "reward"?, "metadata"?}`. Blank lines and lines
 * starting with `//` are skipped. Every bad line (a line that is not UTF-8 among them) is
 * reported at once, by number.
 */
import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CairnError } from '../core/errors.js';
import { normalizeRewardSpec, rewardSpecSchema, type RewardSpec } from './rewards/spec.js';

export const taskSchema = z.object({
  id: z.union([z.string().min(1), z.number().int()]).transform(String),
  prompt: z.string().min(1, 'must not be empty'),
  expected: z.unknown().optional(),
  reward: rewardSpecSchema.transform(normalizeRewardSpec).optional(),
  metadata: z.record(z.string(), z.unknown()).optional(),
});

export interface Task {
  id: string;
  prompt: string;
  expected?: unknown;
  reward?: RewardSpec;
  metadata?: Record<string, unknown>;
}

export interface TasksFile {
  path: string;
  tasks: Task[];
  /** sha256 of the file's bytes, recorded with the run so a resume can tell the file changed. */
  sha256: string;
}

/** Most problems listed in one error; a broken file usually breaks the same way on every line. */
const MAX_REPORTED = 20;

export async function readTasksFile(path: string): Promise<TasksFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw new CairnError('invalid_input', `Cannot read the tasks file ${path}: ${(error as Error).message}`, { cause: error });
  }
  return { path, tasks: parseTaskLines(decodeLines(bytes), path), sha256: createHash('sha256').update(bytes).digest('hex') };
}

export function parseTasks(text: string, source = 'tasks file'): Task[] {
  return parseTaskLines(text.split('\n'), source);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The file's lines as text, `null` for a line that is not UTF-8. Decoding leniently would turn
 * each byte of a Latin-1 or Windows-1252 file into U+FFFD and run every prompt mangled. A newline
 * byte never occurs inside a UTF-8 character, so the bytes can be split before decoding.
 */
function decodeLines(bytes: Uint8Array): (string | null)[] {
  const lines: (string | null)[] = [];
  let start = 0;
  for (;;) {
    const end = bytes.indexOf(0x0a, start);
    const line = bytes.subarray(start, end === -1 ? bytes.length : end);
    try {
      lines.push(utf8.decode(line));
    } catch {
      lines.push(null);
    }
    if (end === -1) return lines;
    start = end + 1;
  }
}

function parseTaskLines(lines: readonly (string | null)[], source: string): Task[] {
  const tasks: Task[] = [];
  const problems: string[] = [];
  const firstLineOf = new Map<string, number>();
  lines.forEach((raw, index) => {
    const lineNumber = index + 1;
    if (raw === null) {
      problems.push(`line ${lineNumber}: not UTF-8 text (written as Latin-1 or Windows-1252?); save the file as UTF-8`);
      return;
    }
    const line = raw.trim();
    if (line === '' || line.startsWith('//')) return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (error) {
      problems.push(`line ${lineNumber}: not valid JSON (${(error as Error).message})`);
      return;
    }
    const parsed = taskSchema.safeParse(value);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((issue) => issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message);
      problems.push(`line ${lineNumber}: ${issues.join('; ')}`);
      return;
    }
    const task = withoutUndefined(parsed.data);
    const earlier = firstLineOf.get(task.id);
    if (earlier !== undefined) {
      problems.push(`line ${lineNumber}: id "${task.id}" was already used on line ${earlier}; ids must be unique`);
      return;
    }
    firstLineOf.set(task.id, lineNumber);
    tasks.push(task);
  });
  if (problems.length > 0) {
    const shown = problems.slice(0, MAX_REPORTED);
    const more = problems.length > shown.length ? `\n  … and ${problems.length - shown.length} more` : '';
    throw new CairnError('invalid_input', `${source} has ${problems.length} bad line${problems.length === 1 ? '' : 's'}:\n  ${shown.join('\n  ')}${more}\nEach line must be {"id": "...", "prompt": "...", "expected"?: ..., "reward"?: ..., "metadata"?: {...}}.`);
  }
  if (tasks.length === 0) throw new CairnError('invalid_input', `${source} holds no tasks: write one JSON object per line.`);
  return tasks;
}

/** exactOptionalPropertyTypes: absent keys stay absent rather than `undefined`. */
function withoutUndefined(task: z.output<typeof taskSchema>): Task {
  const out: Task = { id: task.id, prompt: task.prompt };
  if (task.expected !== undefined) out.expected = task.expected;
  if (task.reward !== undefined) out.reward = task.reward;
  if (task.metadata !== undefined) out.metadata = task.metadata;
  return out;
}
