/**
 * Streams the complete lines of a JSON Lines file with their line numbers. A last
 * line without its newline is a write torn by a crash: it is reported, never
 * yielded, so readers and the checkpoint agree on what was written. Unless it is
 * whole JSON: then only its newline is missing (a file filtered by hand, or written
 * by a script that joins lines with "\n"), and it is a line like the others.
 */
import { createReadStream } from 'node:fs';
import { CairnError } from '../core/errors.js';
import { isWholeJson } from '../core/json-in-text.js';
import { trajectorySchema, type Trajectory } from './trajectory.js';

export interface JsonlLine {
  lineNumber: number;
  text: string;
}

export interface ReadOptions {
  /** Called with the byte length of a torn last line, when there is one. */
  onTornTail?: (bytes: number) => void;
}

export async function* readJsonlLines(path: string, options: ReadOptions = {}): AsyncGenerator<JsonlLine> {
  // Bytes, split at newlines, each line decoded whole: a write torn inside a multi-byte
  // character must be measured in bytes, or cutting it would cut into the line before.
  const pending: Buffer[] = [];
  let lineNumber = 0;
  const stream = createReadStream(path, { highWaterMark: 1 << 20 });
  for await (const chunk of stream as AsyncIterable<Buffer>) {
    let start = 0;
    for (let end = chunk.indexOf(NEWLINE); end !== -1; end = chunk.indexOf(NEWLINE, start)) {
      const bytes = pending.length > 0 ? Buffer.concat([...pending.splice(0), chunk.subarray(start, end)]) : chunk.subarray(start, end);
      lineNumber++;
      start = end + 1;
      const line = bytes.toString('utf8');
      if (line.trim() !== '') yield { lineNumber, text: line };
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
  }
  if (pending.length === 0) return;
  const tail = Buffer.concat(pending);
  const text = tail.toString('utf8');
  // A write cut short is never whole JSON: a line is one object, and a cut one lacks its closing brace.
  if (isWholeJson(text)) yield { lineNumber: lineNumber + 1, text };
  else options.onTornTail?.(tail.length);
}


const NEWLINE = 0x0a;

/** Every trajectory of a run's file, validated; a line that is not one is an error naming it. */
export async function* readTrajectories(path: string, options: ReadOptions = {}): AsyncGenerator<Trajectory> {
  for await (const line of readJsonlLines(path, options)) yield parseTrajectoryLine(line, path);
}

export function parseTrajectoryLine(line: JsonlLine, path: string): Trajectory {
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch (error) {
    throw new CairnError('invalid_input', `${path} line ${line.lineNumber} is not valid JSON (${(error as Error).message}). Move the line away, or start a new --out.`);
  }
  const parsed = trajectorySchema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CairnError('invalid_input', `${path} line ${line.lineNumber} is not a cairn trajectory (${issue?.path.join('.') ?? ''}: ${issue?.message ?? 'invalid'}).`);
  }
  return parsed.data as Trajectory;
}

/**
 * The last line of each task id, in the order of those lines: `cairn batch run --retry-failed`
 * appends a failed task's new attempt after the old one, and the newer line is the one that
 * counts. Two passes (each id's last line number first), so a large run is never held whole;
 * lines appended after the first pass (a run still writing) are left for the next read.
 */
export async function* readLatestTrajectories(path: string, options: ReadOptions = {}): AsyncGenerator<Trajectory> {
  const last = new Map<string, number>();
  let lines = 0;
  for await (const line of readJsonlLines(path, options)) {
    last.set(taskIdOf(line, path), line.lineNumber);
    lines = line.lineNumber;
  }
  if (lines === 0) return;
  for await (const line of readJsonlLines(path)) {
    if (line.lineNumber > lines) break;
    const trajectory = parseTrajectoryLine(line, path);
    if (last.get(trajectory.taskId) === line.lineNumber) yield trajectory;
  }
}

/** A line's task id, without validating the rest (the second pass does); a line that has none is the usual error. */
function taskIdOf(line: JsonlLine, path: string): string {
  let value: unknown;
  try {
    value = JSON.parse(line.text);
  } catch {
    return parseTrajectoryLine(line, path).taskId;
  }
  const id = (value as { taskId?: unknown } | null)?.taskId;
  return typeof id === 'string' ? id : parseTrajectoryLine(line, path).taskId;
}

export async function readAllTrajectories(path: string, options: ReadOptions = {}): Promise<Trajectory[]> {
  const all: Trajectory[] = [];
  for await (const trajectory of readTrajectories(path, options)) all.push(trajectory);
  return all;
}
