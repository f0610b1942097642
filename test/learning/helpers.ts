/** A Cairn wired for learning tests: scripted chat turns, scripted reflections, a hand-fired cron. */
import { z } from 'zod';
import { startFakeModelServer, type FakeModelServer, type FakeReply, type RecordedRequest } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import type { CronPort } from '../../src/learning/scheduler.js';
import { TaskStore, type NewTask } from '../../src/learning/tasks.js';
import { Refiner } from '../../src/learning/refinement.js';
import { AuditService } from '../../src/learning/audits.js';
import { skillMaintenance } from '../../src/learning/skill-maintenance.js';
import { silentLogger } from '../../src/core/logger.js';
import type { SkillsFixture } from '../skills/helpers.js';

export interface LearningRig {
  model: FakeModelServer;
  cairn: TestCairn;
  /** Reflection answers, consumed in order; the default agrees with the signals and proposes nothing. */
  reflections: unknown[];
  reflectionRequests: () => number;
  fireCron: () => void;
  /** Runs one task: the model calls `tools` in order, then answers. */
  task(text: string, tools?: { name: string; arguments?: unknown }[]): Promise<void>;
  close(): Promise<void>;
}

export const NO_CHANGE = { outcome: 'success', efficient: true, worked: ['it worked'], failed: [], assumptions: [], doDifferently: [], skill: { action: 'none' } };

export async function learningRig(env: Record<string, string> = {}): Promise<LearningRig> {
  const model = await startFakeModelServer();
  const reflections: unknown[] = [];
  let reflectionCount = 0;
  const chatQueue: FakeReply[] = [];
  model.setDefault((request: RecordedRequest) => {
    const messages = (request.body as { messages: { content: string }[] }).messages;
    if (messages[0]?.content.startsWith('You review a task')) {
      reflectionCount++;
      // By default the reflector agrees with the signals it was shown.
      const shown = /outcome (success|failure|unknown)/.exec(messages[1]?.content ?? '')?.[1] ?? 'unknown';
      return { text: JSON.stringify(reflections.shift() ?? { ...NO_CHANGE, outcome: shown }) };
    }
    return chatQueue.shift() ?? { text: 'done' };
  });
  let cronRun: (() => void) | undefined;
  const cronPort: CronPort = (_expression, _timeZone, run) => {
    cronRun = run;
    return { stop: () => (cronRun = undefined), nextRunAfter: (at) => at + 86_400_000 };
  };
  const cairn = startTestCairn(testConfig(model.url, { CAIRN_AUDIT_EVERY: '15', ...env }), { cronPort });
  cairn.tools.register({
    name: 'broken',
    description: 'always fails',
    parameters: z.object({}),
    execute: () => {
      throw new Error('the service is down');
    },
  });
  let counter = 0;
  return {
    model,
    cairn,
    reflections,
    reflectionRequests: () => reflectionCount,
    fireCron: () => cronRun?.(),
    async task(text, tools = [{ name: 'current_time' }]) {
      for (const call of tools) chatQueue.push({ toolCalls: [{ name: call.name, arguments: call.arguments ?? {} }] });
      chatQueue.push({ text: `answer to ${text}` });
      await cairn.gateway.receive(cairn.adapter.message(text, { messageId: `task-${++counter}` }));
      cairn.manualClock.advance(1_000);
      await cairn.learning.idle();
    },
    async close() {
      await cairn.close();
      await model.close();
    },
  };
}

/** A recorded task for TaskStore.insert: one tool call that went well, unless `overrides` say otherwise. */
export function newTask(overrides: Partial<NewTask> = {}): NewTask {
  return {
    sessionId: 's',
    conversationId: 'c',
    messageId: undefined,
    platform: 'test',
    userId: 'ada',
    request: 'do it',
    reply: 'done',
    trajectory: [],
    toolCalls: 1,
    toolErrors: 0,
    errors: [],
    skillsUsed: [],
    stopReason: 'answered',
    model: undefined,
    usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 },
    durationMs: 1,
    outcome: 'success',
    outcomeSource: 'tools',
    createdAt: 0,
    ...overrides,
  };
}

/** A use of skill `name` at `version`, judged by the user's feedback. */
export const judgedUse = (name: string, version: number, outcome: 'success' | 'failure', createdAt: number): NewTask =>
  newTask({ skillsUsed: [{ name, version }], outcome, outcomeSource: 'feedback', createdAt });

/**
 * release-train, a learned skill one judged failure short of its automatic rollback: the agent
 * wrote v1 ("1. Tag the release. 2. Announce it."), judged a success five times, and a minute
 * later patched it into v2 ("2. Skip the announcement."), judged a failure four times.
 */
export function patchOneFailureFromRollback({ skills, db, clock }: SkillsFixture): { tasks: TaskStore; refiner: Refiner; v2: { version: number } } {
  const tasks = new TaskStore(db);
  const refiner = new Refiner(db, skills, 5, clock, silentLogger);
  const v1 = skills.writer.create({ name: 'release-train', description: 'Ships a release. Use when releasing.', body: '## Steps\n1. Tag the release.\n2. Announce it.\n' }, { author: 'agent' });
  for (let i = 0; i < 5; i++) refiner.afterOutcome(tasks.insert(judgedUse('release-train', v1.version, 'success', clock.now() + i)));
  clock.advance(60_000);
  const v2 = skills.writer.patch({ name: 'release-train', find: '2. Announce it.', replace: '2. Skip the announcement.', target: 'body' }, { author: 'agent' });
  for (let i = 0; i < 4; i++) refiner.afterOutcome(tasks.insert(judgedUse('release-train', v2.version, 'failure', clock.now() + i)));
  return { tasks, refiner, v2 };
}

/**
 * The audits of a skills fixture's skills: its database, clock and data folder, its skills
 * maintained, the default policy (stale after 14 days unused, archived after 30, poor under a 50%
 * success rate of at least 3 judged uses).
 */
export function skillAudits({ skills, db, clock, dataDir }: SkillsFixture): AuditService {
  return new AuditService({
    db,
    tasks: new TaskStore(db),
    clock,
    logger: silentLogger,
    dataDir,
    policy: { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.5, minJudged: 3 },
    skills: skillMaintenance(db, skills, clock),
  });
}
