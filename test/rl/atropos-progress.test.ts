/** Where `cairn atropos serve` is in its tasks, kept for a restart (src/rl/atropos/progress.ts). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/core/logger.js';
import { TaskProgress } from '../../src/rl/atropos/progress.js';
import type { Task } from '../../src/rl/tasks.js';
import { tempDir } from '../helpers/cairn.js';

const tasks = (n: number): Task[] => Array.from({ length: n }, (_, i) => ({ id: `t${i}`, prompt: `p${i}`, expected: i }));
const open = (path: string, list: Task[], epochs?: number) => TaskProgress.open({ tasks: list, epochs, path, logger: silentLogger });

describe('TaskProgress', () => {
  it('a restart runs again exactly the tasks whose groups were under way, and none already done', () => {
    const path = join(tempDir(), 'p.json');
    const first = open(path, tasks(5), 1);
    const taken = [first.take(), first.take(), first.take()].map((t) => t?.position);
    expect(taken).toEqual([0, 1, 2]);
    // Groups finish out of order: 0 and 2 went out, 1 was under way at the stop.
    first.done(0);
    first.done(2);
    const second = open(path, tasks(5), 1);
    expect([second.take(), second.take(), second.take()].map((t) => t?.task.id)).toEqual(['t1', 't3', 't4']);
    expect(second.take()).toBeUndefined();
  });

  it('keeps the place when tasks are added at the end, and starts again when they changed otherwise', () => {
    const path = join(tempDir(), 'p.json');
    const first = open(path, tasks(4), 2);
    for (let i = 0; i < 5; i++) first.done(first.take()?.position ?? -1);
    // Pass 2, second task.
    expect(open(path, tasks(6), 2).take()?.position).toBe(7);
    expect(open(path, tasks(6), 2).describe(7)).toBe('task 2 of 6 (pass 2 of 2)');
    expect(open(path, [...tasks(4)].reverse(), 2).take()?.position).toBe(0);
  });

  it('refuses a file that is not its own, saying what to do', () => {
    const path = join(tempDir(), 'p.json');
    writeFileSync(path, '{"hello": 1}');
    expect(() => open(path, tasks(2))).toThrow(/is not a progress file of cairn atropos serve\. Pass --progress-file with another path, or --from-start/);
    const fresh = TaskProgress.open({ tasks: tasks(2), path, fromStart: true, logger: silentLogger });
    fresh.done(fresh.take()?.position ?? -1);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toMatchObject({ next: 1 });
  });
});
