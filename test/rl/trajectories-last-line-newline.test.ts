/**
 * A trajectories file whose last line is whole but lacks its newline: what a script that joins
 * lines with "\n", or an editor, leaves after someone filtered the file by hand. Only a line
 * that is not whole JSON was torn by a crash; this one is a finished task like the others.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { TrajectoryLog } from '../../src/rl/checkpoint.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { sampleTrajectory } from './helpers.js';

function writeWithoutLastNewline(ids: readonly string[]): string {
  const path = join(tempDir(), 'trajectories.jsonl');
  writeFileSync(path, ids.map((id) => JSON.stringify(sampleTrajectory({ taskId: id }))).join('\n'));
  return path;
}

describe('a trajectories file whose last line lacks its newline', () => {
  it('is read whole by export and `batch rewards`: the last trajectory is not dropped as torn', async () => {
    expect((await readAllTrajectories(writeWithoutLastNewline(['a', 'b']))).map((t) => t.taskId)).toEqual(['a', 'b']);
  });

  it('keeps its last task on --resume (not run again), and appends the next one on a line of its own', async () => {
    const path = writeWithoutLastNewline(['a', 'b']);
    const { log, done, droppedBytes } = await TrajectoryLog.open(path, { resume: true });
    expect([...done].sort()).toEqual(['a', 'b']);
    expect(droppedBytes).toBe(0);
    await log.append(sampleTrajectory({ taskId: 'c' }));
    await log.close();
    expect(readFileSync(path, 'utf8').endsWith('}\n')).toBe(true);
    expect((await readAllTrajectories(path)).map((t) => t.taskId)).toEqual(['a', 'b', 'c']);
  });

  it('still cuts a last line a crash tore, however close to its end', async () => {
    const path = join(tempDir(), 'trajectories.jsonl');
    const whole = `${JSON.stringify(sampleTrajectory({ taskId: 'a' }))}\n`;
    const next = JSON.stringify(sampleTrajectory({ taskId: 'b' }));
    // Torn one byte before its closing brace.
    writeFileSync(path, whole + next.slice(0, -1));
    const { log, done, droppedBytes } = await TrajectoryLog.open(path, { resume: true });
    await log.close();
    expect([...done]).toEqual(['a']);
    expect(droppedBytes).toBe(Buffer.byteLength(next) - 1);
    expect(readFileSync(path, 'utf8')).toBe(whole);
  });
});
