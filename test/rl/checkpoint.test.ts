/** The checkpoint file: group-committed appends, torn-tail recovery, the done set, and shards. */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/cairn.js';
import { TrajectoryLog } from '../../src/rl/checkpoint.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { inShard, parseShard, shardOf } from '../../src/rl/shard.js';
import { parseTasks } from '../../src/rl/tasks.js';
import { runPool } from '../../src/rl/pool.js';
import { sampleTrajectory } from './helpers.js';

describe('TrajectoryLog', () => {
  it('writes every appended line once, whole, even when many land together', async () => {
    const path = join(tempDir(), 'trajectories.jsonl');
    const { log, done } = await TrajectoryLog.open(path, { resume: false });
    expect(done.size).toBe(0);
    await Promise.all(Array.from({ length: 50 }, (_, i) => log.append(sampleTrajectory({ taskId: `t${i}` }))));
    await log.close();
    const lines = readFileSync(path, 'utf8').split('\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.slice(0, -1).map((line) => JSON.parse(line).taskId).sort()).toEqual(Array.from({ length: 50 }, (_, i) => `t${i}`).sort());
  });

  it('on resume, cuts a torn last line, knows the finished ids, and appends after them', async () => {
    const path = join(tempDir(), 'trajectories.jsonl');
    const first = await TrajectoryLog.open(path, { resume: false });
    for (const id of ['a', 'b', 'c']) await first.log.append(sampleTrajectory({ taskId: id }));
    await first.log.close();
    const clean = readFileSync(path, 'utf8');
    // What a crash in the middle of a write leaves behind.
    const torn = JSON.stringify(sampleTrajectory({ taskId: 'd' })).slice(0, 120);
    appendFileSync(path, torn);

    await expect(TrajectoryLog.open(path, { resume: false })).rejects.toThrow(/--resume/);
    const second = await TrajectoryLog.open(path, { resume: true });
    expect([...second.done].sort()).toEqual(['a', 'b', 'c']);
    expect(second.droppedBytes).toBe(Buffer.byteLength(torn));
    expect(readFileSync(path, 'utf8')).toBe(clean);
    await second.log.append(sampleTrajectory({ taskId: 'd' }));
    await second.log.close();
    expect((await readAllTrajectories(path)).map((t) => t.taskId)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('on resume, cuts a line torn inside a multi-byte character by its bytes, leaving the line before whole', async () => {
    const path = join(tempDir(), 'trajectories.jsonl');
    const first = await TrajectoryLog.open(path, { resume: false });
    for (const id of ['a', 'b']) await first.log.append(sampleTrajectory({ taskId: id }, 'Il est 9 h à Paris ✓'));
    await first.log.close();
    const clean = readFileSync(path);
    // A write torn in the middle of "é": only its first byte reached the disk.
    const whole = Buffer.from(JSON.stringify(sampleTrajectory({ taskId: 'c' }, 'café')));
    const cut = whole.indexOf(Buffer.from('é')) + 1;
    appendFileSync(path, whole.subarray(0, cut));

    const second = await TrajectoryLog.open(path, { resume: true });
    expect([...second.done].sort()).toEqual(['a', 'b']);
    expect(second.droppedBytes).toBe(cut);
    expect(readFileSync(path).equals(clean)).toBe(true);
    await second.log.append(sampleTrajectory({ taskId: 'c' }));
    await second.log.close();
    expect((await readAllTrajectories(path)).map((t) => t.taskId)).toEqual(['a', 'b', 'c']);
  });

  it('names the line when a complete line is not a trajectory', async () => {
    const path = join(tempDir(), 'trajectories.jsonl');
    writeFileSync(path, `${JSON.stringify(sampleTrajectory())}\n{"not": "a trajectory"}\n`);
    await expect(TrajectoryLog.open(path, { resume: true })).rejects.toThrow(/line 2 is not a cairn trajectory/);
  });
});

describe('tasks file', () => {
  it('reports every bad line by its number', () => {
    const text = [
      JSON.stringify({ id: 'a', prompt: 'fine' }),
      '',
      '{"id": "b", "prompt": ',
      JSON.stringify({ id: 'c' }),
      '// a comment',
      JSON.stringify({ id: 'a', prompt: 'again' }),
      JSON.stringify({ id: 'd', prompt: 'x', reward: 'telepathy' }),
      JSON.stringify({ id: 7, prompt: 'numeric ids are fine', reward: { type: 'regex', pattern: '^7$' } }),
    ].join('\n');
    let message = '';
    try {
      parseTasks(text, 'tasks.jsonl');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('tasks.jsonl has 4 bad lines');
    expect(message).toMatch(/line 3: not valid JSON/);
    expect(message).toMatch(/line 4: prompt/);
    expect(message).toMatch(/line 6: id "a" was already used on line 1/);
    expect(message).toMatch(/line 7: reward: "telepathy" is not a reward kind; use one of exact, contains, regex, json-schema, numeric, judge, custom/);
    expect(message).not.toMatch(/line 8/);
  });

  it('names what is wrong with a reward, and refuses an option the kind does not have', () => {
    const problems = (reward: unknown): string => {
      try {
        parseTasks(JSON.stringify({ id: 1, prompt: 'p', reward }));
        return '';
      } catch (error) {
        return (error as Error).message.split('\n')[1]!.trim();
      }
    };
    expect(problems({ type: 'contains', value: 'Paris' })).toBe(`line 1: reward: "contains" has no option "value" (its options: ignoreCase; the answer is compared with the task's "expected")`);
    expect(problems({ type: 'judge', rubric: 'r', ignorecase: true })).toBe('line 1: reward: "judge" has no option "ignorecase" (its options: rubric, model)');
    expect(problems({ type: 'telepathy' })).toMatch(/^line 1: reward: type "telepathy" is not a reward kind; use one of/);
    expect(problems({ pattern: 'x' })).toMatch(/^line 1: reward: needs a "type"; use one of/);
    expect(problems(7)).toMatch(/^line 1: reward: must be a reward kind's name or an object with a "type"/);
    expect(problems({ type: 'regex', flags: 'Q' })).toBe('line 1: reward.flags: use JavaScript regex flags such as "i" or "s"');
    expect(problems({ type: 'custom', module: './r.js', options: { anything: 1 } })).toBe('');
  });

  it('parses rewards in short and long form', () => {
    const [a, b] = parseTasks([JSON.stringify({ id: 1, prompt: 'p', reward: 'exact' }), JSON.stringify({ id: 'b', prompt: 'p', reward: { type: 'numeric', tolerance: 0.5 } })].join('\n'));
    expect(a).toEqual({ id: '1', prompt: 'p', reward: { type: 'exact', ignoreCase: false } });
    expect(b?.reward).toEqual({ type: 'numeric', tolerance: 0.5 });
  });
});

describe('shards', () => {
  it('cover every task exactly once, whatever the order of the file', () => {
    const tasks = Array.from({ length: 1000 }, (_, i) => ({ id: `task-${i}` }));
    for (const count of [1, 2, 3, 7, 16]) {
      const slices = Array.from({ length: count }, (_, index) => inShard(tasks, { index, count }).map((t) => t.id));
      const all = slices.flat();
      expect(all).toHaveLength(tasks.length);
      expect(new Set(all).size).toBe(tasks.length);
      // The same slices from the file in another order.
      const reversed = Array.from({ length: count }, (_, index) => inShard([...tasks].reverse(), { index, count }).map((t) => t.id).sort());
      expect(reversed).toEqual(slices.map((slice) => [...slice].sort()));
      if (count > 1) for (const slice of slices) expect(slice.length).toBeGreaterThan(tasks.length / count / 2);
    }
    expect(shardOf('task-1', 4)).toBe(shardOf('task-1', 4));
  });

  it('parses i/n and rejects what is not a slice', () => {
    expect(parseShard('2/4')).toEqual({ index: 2, count: 4 });
    for (const bad of ['4/4', '1/0', 'a/b', '1', '-1/3']) expect(() => parseShard(bad)).toThrow(/0 ≤ i < n/);
  });
});

describe('runPool', () => {
  it('keeps at most N at once, and on a failure starts nothing new and waits for the rest before throwing', async () => {
    let running = 0;
    let peak = 0;
    const started: number[] = [];
    const finished: number[] = [];
    const release: (() => void)[] = [];
    const pool = runPool(Array.from({ length: 10 }, (_, i) => i), 3, async (item) => {
      started.push(item);
      running++;
      peak = Math.max(peak, running);
      await new Promise<void>((resolve) => release.push(resolve));
      running--;
      if (item === 1) throw new Error('task 1 broke');
      finished.push(item);
    });
    const outcome = pool.then(() => 'resolved', (error: Error) => error.message);
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    release[1]?.(); // item 1 fails while 0 and 2 are still running
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([0, 1, 2]);
    release[0]?.();
    release[2]?.();
    expect(await outcome).toBe('task 1 broke');
    expect(finished.sort()).toEqual([0, 2]);
    expect(peak).toBe(3);
  });
});
