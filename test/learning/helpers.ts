/** A Cairn wired for learning tests: scripted chat turns, scripted reflections, a hand-fired cron. */
import { z } from 'zod';
import { startFakeModelServer, type FakeModelServer, type FakeReply, type RecordedRequest } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from '../helpers/cairn.js';
import type { CronPort } from '../../src/learning/scheduler.js';
import type { NewTask } from '../../src/learning/tasks.js';

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
