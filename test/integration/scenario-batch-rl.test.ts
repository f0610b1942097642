/**
 * An RL team runs a batch at scale, and things go wrong the way they do. A tasks file of 200
 * tasks (numeric and unicode ids, a prompt too long for the context) with reward modules written
 * in a hurry (a TypeScript grader, one returning toFixed()'s string, one editing what it is
 * given) and an LLM judge, run in 4 shards on 4 "machines" with --model; one shard is killed and
 * resumed by the same command without --model; the broken module is fixed and the runs rescored
 * while the judge's model is down, then again once it is back; the shards are exported in every
 * format with --min-reward and --val-split; and every summary is checked against its trajectories.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { ChatBody, FakeReply, RecordedRequest } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { useFakeModelRig } from '../helpers/fake-model-rig.js';
import { firstUserText, toolScript, writeTasks, ManualTimers } from '../rl/helpers.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { runBatch, type BatchRunOptions } from '../../src/rl/batch.js';
import { exportRecords } from '../../src/rl/export/index.js';
import { EXPORT_FORMATS } from '../../src/rl/export/formats.js';
import { recordsFromRuns } from '../../src/rl/export/source.js';
import { readAllTrajectories } from '../../src/rl/jsonl.js';
import { recomputeRewards } from '../../src/rl/rewards/recompute.js';
import { inShard } from '../../src/rl/shard.js';
import type { BatchSummary } from '../../src/rl/summary.js';
import type { Trajectory } from '../../src/rl/trajectory.js';

const rig = useFakeModelRig();
const SHARDS = 4;
const POLICY = 'policy-step-500';

/** The reward each task uses: every fifth the TypeScript grader, every seventh the percent module, every eleventh the judge, one in 13 the module that edits its input; the rest inferred from expected. */
function rewardOf(i: number): unknown {
  if (i % 11 === 0) return 'judge';
  if (i % 7 === 0) return { type: 'custom', module: 'percent.mjs' };
  if (i % 5 === 0) return { type: 'custom', module: 'grade.ts', options: { needle: '42' } };
  if (i % 13 === 0) return { type: 'custom', module: 'rewards/edits.mjs' };
  return undefined;
}

describe('an RL team running a batch at scale', () => {
  it('shards, a kill and a resume, misbehaving rewards, a judge that goes down, rescoring and export agree', async () => {
    const judge = { up: true };
    const agent = toolScript((prompt) => (prompt.includes('wrong') ? 'It is 41.' : 'It is 42.'));
    let kill: ((request: RecordedRequest) => void) | undefined;
    rig.server.setDefault((request): FakeReply => {
      if ((request.body as ChatBody).model === 'judge-model') return judge.up ? { text: '{"score": 0.9, "reason": "right, briefly"}' } : { error: { status: 503 } };
      kill?.(request);
      return agent(request);
    });
    const work = tempDir('cairn-rl-scale-');
    writeFileSync(join(work, 'grade.ts'), 'export function reward(t: { messages: { content: string | null }[] }, _task: unknown, options: { needle: string }): { score: number; reason: string } {\n  const answer = t.messages.at(-1)?.content ?? "";\n  return { score: answer.includes(options.needle) ? 1 : 0, reason: `looked for ${options.needle}` };\n}\n');
    writeFileSync(join(work, 'percent.mjs'), 'export function reward(t) { return (t.messages.at(-1).content.includes("42") ? 1 : 0).toFixed(2); }\n');
    const rewardsDir = join(work, 'rewards');
    mkdirSync(rewardsDir);
    writeFileSync(join(rewardsDir, 'edits.mjs'), 'export function reward(t, task) { t.messages.length = 1; t.status = "error"; task.prompt = "changed"; return 1; }\n');

    // 200 tasks: numeric and unicode ids, one answered wrong in six, one prompt far over the context.
    const tasks = Array.from({ length: 200 }, (_, i) => ({
      id: i % 9 === 0 ? i : `q-${i}-çà-日本-🚀`,
      prompt: i === 123 ? `Summarise: ${'lorem ipsum '.repeat(12_000)}` : `${i % 6 === 0 ? 'wrong ' : ''}what is 6 × 7? (#${i}, “ünïcödé”)`,
      expected: 42,
      ...(rewardOf(i) === undefined ? {} : { reward: rewardOf(i) }),
    }));
    const tasksFile = writeTasks(tasks, work);
    const config = testConfig(rig.server.url, { CAIRN_AUX_MODEL: 'judge-model' });
    const notices: string[] = [];
    const deps = (signal?: AbortSignal) => ({
      config,
      overrides: { logger: silentLogger, clock: new ManualClock(Date.UTC(2026, 11, 1, 9)), sleep: async () => {} },
      timers: new ManualTimers(),
      progress: new Writable({ write: (_c, _e, done) => done() }),
      notice: (line: string) => notices.push(line),
      ...(signal ? { signal } : {}),
    });
    const outs = Array.from({ length: SHARDS }, (_, i) => join(work, `machine-${i}`, 'run'));
    const run = (index: number, extra: Partial<BatchRunOptions> = {}, signal?: AbortSignal) =>
      runBatch({ tasksFile, outDir: outs[index] as string, concurrency: 8, timeoutMs: 60_000, resume: false, shard: { index, count: SHARDS }, model: POLICY, ...extra }, deps(signal));

    // Four machines; machine 2 is killed while its tenth task runs.
    const killed = new AbortController();
    const shard2 = inShard(tasks.map((task) => ({ ...task, id: String(task.id) })), { index: 2, count: SHARDS });
    kill = (request) => {
      if (firstUserText(request) === shard2[9]?.prompt) killed.abort();
    };
    for (const index of [0, 1, 3]) await run(index);
    const interrupted = await run(2, {}, killed.signal);
    kill = undefined;
    expect(interrupted.interrupted).toBe(true);
    const beforeResume = readFileSync(join(outs[2] as string, 'trajectories.jsonl'), 'utf8');

    // The requeued job runs the command without --model: refused, nothing written, rather than a run of two policies.
    await expect(run(2, { resume: true, model: undefined })).rejects.toThrow(`This run started with model ${POLICY}; the configuration now names test-model. Resume with --model ${POLICY} to go on as it started`);
    expect(readFileSync(join(outs[2] as string, 'trajectories.jsonl'), 'utf8')).toBe(beforeResume);
    const resumed = await run(2, { resume: true });
    expect(resumed.skipped + resumed.ran).toBe(shard2.length);

    const byShard = await Promise.all(outs.map((out) => readAllTrajectories(join(out, 'trajectories.jsonl'))));
    const all = byShard.flat();
    expect(all.map((t) => t.taskId).sort()).toEqual(tasks.map((t) => String(t.id)).sort());
    expect(new Set(all.filter((t) => t.model !== null).map((t) => t.model))).toEqual(new Set([POLICY]));

    // What each misbehaving piece left, in words that point at it.
    const of = (i: number) => all.find((t) => t.taskId === String(tasks[i]?.id)) as Trajectory;
    expect(of(123)).toMatchObject({ status: 'error', reward: null });
    expect(of(7)).toMatchObject({ status: 'ok', reward: null, errors: [{ code: 'reward', message: expect.stringContaining('percent.mjs returned the string "1.00" (convert it with Number())') as string }] });
    expect(of(5)).toMatchObject({ reward: 1, rewardDetail: { kind: 'custom', score: 1, reason: 'looked for 42' } });
    expect(of(13)).toMatchObject({ status: 'ok', reward: 1, task: { prompt: tasks[13]?.prompt } });
    expect(of(13).messages.length).toBeGreaterThan(2);
    expect(of(11)).toMatchObject({ reward: 0.9, rewardDetail: { kind: 'judge', reason: 'right, briefly' } });

    // Every summary says what its trajectories say.
    const checkSummary = (summary: BatchSummary, trajectories: Trajectory[]) => {
      const scored = trajectories.flatMap((t) => (t.reward === null ? [] : [t.reward]));
      const mean = Math.round((scored.reduce((a, b) => a + b, 0) / scored.length) * 1e4) / 1e4;
      expect(summary.tasks).toMatchObject({ finished: trajectories.length, remaining: 0, ok: trajectories.filter((t) => t.status === 'ok').length, error: trajectories.filter((t) => t.status === 'error').length });
      expect([summary.reward.scored, summary.reward.unscored, summary.reward.mean]).toEqual([scored.length, trajectories.length - scored.length, mean]);
      expect(summary.errors.byCode.reward ?? 0).toBe(trajectories.filter((t) => t.errors.some((e) => e.code === 'reward')).length);
    };
    for (const [index, out] of outs.entries()) checkSummary(JSON.parse(readFileSync(join(out, 'summary.json'), 'utf8')) as BatchSummary, byShard[index] as Trajectory[]);

    // The module is fixed (a new file the tasks name); the runs are rescored while the judge's model is down: no run trades its judge scores for errors.
    writeFileSync(join(work, 'percent-v2.mjs'), 'export function reward(t) { return t.messages.at(-1).content.includes("42") ? 1 : 0; }\n');
    const fixedTasks = join(work, 'tasks-fixed.jsonl');
    writeFileSync(fixedTasks, readFileSync(tasksFile, 'utf8').replaceAll('"percent.mjs"', '"percent-v2.mjs"'));
    const rescore = (runDir: string) => recomputeRewards({ runDir, tasksFile: fixedTasks, concurrency: 4 }, { config, overrides: { logger: silentLogger, sleep: async () => {} } });
    judge.up = false;
    const withJudge = outs.filter((_, index) => byShard[index]?.some((t) => t.rewardDetail?.kind === 'judge'));
    expect(withJudge.length).toBeGreaterThan(0);
    for (const out of withJudge) {
      const before = readFileSync(join(out, 'trajectories.jsonl'), 'utf8');
      await expect(rescore(out)).rejects.toThrow(/which would lose the scores they have .*custom answered 503.*Nothing was rewritten/);
      expect(readFileSync(join(out, 'trajectories.jsonl'), 'utf8') === before, 'the judge scores were replaced by errors').toBe(true);
    }
    judge.up = true;
    for (const out of outs) {
      const rescored = await rescore(out);
      expect(rescored.failed).toBe(0);
      checkSummary(rescored.summary, await readAllTrajectories(join(out, 'trajectories.jsonl')));
    }
    const final = (await Promise.all(outs.map((out) => readAllTrajectories(join(out, 'trajectories.jsonl'))))).flat();
    expect(final.find((t) => t.taskId === String(tasks[7]?.id))).toMatchObject({ reward: 1, errors: [] });

    // Export the four machines' runs in every format: the same tasks train and validate in each, none on both sides.
    const eligible = final.filter((t) => t.status === 'ok' && t.reward !== null && t.reward >= 1).length;
    const sides: string[] = [];
    for (const format of EXPORT_FORMATS) {
      const out = join(work, 'export', `${format}.jsonl`);
      const stats = await exportRecords([recordsFromRuns(outs)], { format, out, minReward: 1, valSplit: 0.2, secrets: config.secrets });
      expect([stats.train + stats.validation, stats.skipped.invalid, stats.skipped.failed]).toEqual([eligible, 0, 1]);
      expect(stats.validation).toBeGreaterThan(0);
      sides.push(`${stats.train}/${stats.validation}`);
      const lines = readFileSync(out, 'utf8').trim().split('\n').concat(readFileSync(join(work, 'export', `${format}.val.jsonl`), 'utf8').trim().split('\n'));
      expect(lines.every((line) => line.includes('ünïcödé') || line.includes('\\u00fcn'))).toBe(true);
    }
    expect(new Set(sides).size).toBe(1);
  }, 120_000);
});
