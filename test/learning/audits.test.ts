/**
 * Audits in detail: which skill versions go to refinement, and every-N-tasks audits when tasks end
 * out of order or two processes (`cairn start` and `cairn chat`) record tasks in one database.
 */
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { AuditService } from '../../src/learning/audits.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { AuditScheduler, type CronPort } from '../../src/learning/scheduler.js';
import { openDatabase } from '../../src/store/db.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import type { CompletionRequest, CompletionResult, ModelClient } from '../../src/model/types.js';
import { startTestCairn, tempDir, testConfig } from '../helpers/cairn.js';
import { newTask } from './helpers.js';

const NOW = Date.UTC(2026, 10, 24, 9);
const DAY = 86_400_000;


describe('refinement from audits', () => {
  it('refines the version in use, never for the failures of one already replaced', async () => {
    const dataDir = tempDir('cairn-audits-');
    const db = openDatabase(join(dataDir, 'cairn.db'));
    const clock = new ManualClock(NOW);
    const tasks = new TaskStore(db);
    // deploy@1 failed three times; deploy@2, the patch, has worked since. backup@3 fails now.
    for (let i = 0; i < 3; i++) tasks.insert(newTask({ skillsUsed: [{ name: 'deploy', version: 1 }], outcome: 'failure', errors: ['ssh: timeout'], createdAt: NOW - 3 * DAY + i }));
    for (let i = 0; i < 5; i++) tasks.insert(newTask({ skillsUsed: [{ name: 'deploy', version: 2 }], createdAt: NOW - DAY + i }));
    for (let i = 0; i < 3; i++) tasks.insert(newTask({ skillsUsed: [{ name: 'backup', version: 3 }], outcome: 'failure', errors: ['disk full'], createdAt: NOW - DAY + i }));
    const refined: string[] = [];
    const audits = new AuditService({
      db,
      tasks,
      clock,
      logger: silentLogger,
      dataDir,
      policy: { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.5, minJudged: 3 },
      refine: async (skill, failures) => {
        refined.push(`${skill}: ${failures.length} failures`);
        return true;
      },
    });
    await audits.run('test');
    expect(refined).toEqual(['backup: 3 failures']);
    db.close();
  });
});

describe("an audit's lock", () => {
  function auditsOn(dataDir: string) {
    const db = openDatabase(join(dataDir, 'cairn.db'));
    const audits = new AuditService({ db, tasks: new TaskStore(db), clock: new ManualClock(NOW), logger: silentLogger, dataDir, policy: { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.5, minJudged: 3 } });
    return { db, audits };
  }
  const lockedBy = (db: ReturnType<typeof openDatabase>, pid: number) =>
    db.prepare("INSERT INTO audits (trigger, status, started_at, holder_pid, holder_host) VALUES ('cron', 'running', ?, ?, ?)").run(NOW - 60_000, pid, hostname());

  it('is cleared at once when the process holding it died (a crash mid-audit blocked audits for an hour)', async () => {
    const { db, audits } = auditsOn(tempDir('cairn-audit-lock-'));
    const gone = spawnSync(process.execPath, ['-e', '']).pid!;
    lockedBy(db, gone);
    const record = await audits.run('test');
    expect(record?.status).toBe('done');
    expect(db.prepare("SELECT status, error FROM audits WHERE holder_pid = ? AND trigger = 'cron'").get(gone)).toEqual({ status: 'failed', error: 'interrupted' });
    db.close();
  });

  it('holds while the process holding it lives', async () => {
    const { db, audits } = auditsOn(tempDir('cairn-audit-lock-'));
    lockedBy(db, process.ppid);
    expect(await audits.run('test')).toBeUndefined();
    db.close();
  });
});

describe('every-N-tasks audits', () => {
  /** Chat turns call one tool, then answer; reflections wait for the test. */
  class Model implements ModelClient {
    reflecting = 0;
    private readonly gates: (() => void)[] = [];
    async complete(request: CompletionRequest): Promise<CompletionResult> {
      const base = { finishReason: 'stop' as const, usage: { promptTokens: 1, completionTokens: 1, cachedTokens: 0 }, model: 'm', provider: 'test' };
      const first = request.messages[0];
      if (first?.role === 'system' && first.content.startsWith('You review a task')) {
        this.reflecting++;
        await new Promise<void>((resolve) => this.gates.push(resolve));
        const reflection = { outcome: 'failure', efficient: true, worked: [], failed: ['the service was down'], assumptions: [], doDifferently: [], skill: { action: 'none' } };
        return { ...base, text: JSON.stringify(reflection), toolCalls: [] };
      }
      if (request.messages.at(-1)?.role === 'tool') return { ...base, text: 'answered', toolCalls: [] };
      const text = String(request.messages.findLast((m) => m.role === 'user')?.content ?? '');
      return { ...base, finishReason: 'tool_calls' as CompletionResult['finishReason'], text: '', toolCalls: [{ id: `call-${text.length}`, name: text.includes('broken') ? 'broken' : 'current_time', arguments: '{}' }] };
    }
    release(): void {
      this.gates.shift()?.();
    }
    async until(count: number): Promise<void> {
      while (this.reflecting < count) await new Promise((resolve) => setImmediate(resolve));
    }
  }

  it('runs the audit due at task N although another task ended while task N was reflected on', async () => {
    const model = new Model();
    const cronPort: CronPort = () => ({ stop: () => undefined, nextRunAfter: (at) => at + DAY });
    const cairn = startTestCairn(testConfig('http://127.0.0.1:9', { CAIRN_AUDIT_EVERY: '2' }), { model, cronPort });
    cairn.tools.register({ name: 'broken', description: 'always fails', parameters: z.object({}), execute: () => Promise.reject(new Error('the service is down')) });
    try {
      await cairn.gateway.receive(cairn.adapter.message('what time is it'));
      await cairn.learning.idle();
      // Task 2 fails and is reflected on; the audit is due after it.
      await cairn.gateway.receive(cairn.adapter.message('call broken'));
      await model.until(1);
      // Meanwhile task 3 ends in another conversation.
      await cairn.gateway.receive(cairn.adapter.message('what time is it for bob', { conversationId: 'test:dm:bob', userId: 'test:bob', senderId: 'bob', userName: 'bob' }));
      model.release();
      await cairn.learning.idle();
      expect(cairn.learning.tasks.count()).toBe(3);
      expect(cairn.learning.audits.list().map((audit) => audit.trigger)).toEqual(['every 2 tasks (3)']);
    } finally {
      await cairn.close();
    }
  });
});

describe('every-N-tasks audits with two processes on one database', () => {
  /** One process's learning loop: its own connection, task store, audits and scheduler. */
  function openProcess(dataDir: string, clock: ManualClock) {
    const db = openDatabase(join(dataDir, 'cairn.db'));
    const tasks = new TaskStore(db);
    const audits = new AuditService({ db, tasks, clock, logger: silentLogger, dataDir, policy: { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.5, minJudged: 3 } });
    const cronPort: CronPort = () => ({ stop: () => undefined, nextRunAfter: (at) => at + DAY });
    const scheduler = new AuditScheduler({ audits, tasks, clock, logger: silentLogger, everyTasks: 15, cron: '0 3 * * *', timeZone: 'UTC', cronPort });
    const task = async () => {
      tasks.insert(newTask({ createdAt: clock.now() }));
      clock.advance(1_000);
      scheduler.onTask();
      await scheduler.idle();
    };
    return { db, audits, task };
  }

  it('runs one audit at task 15, not a second one when the other process records task 16', async () => {
    const dataDir = tempDir('cairn-every-n-');
    const clock = new ManualClock(NOW);
    const bot = openProcess(dataDir, clock);
    const chat = openProcess(dataDir, clock);
    try {
      for (let i = 0; i < 15; i++) await bot.task();
      expect(bot.audits.list().map((a) => a.trigger)).toEqual(['every 15 tasks (15)']);
      // The terminal chat started at task 0 too; its count of audits done is the database's, not its own.
      await chat.task();
      expect(bot.audits.list().map((a) => a.trigger)).toEqual(['every 15 tasks (15)']);
      for (let i = 0; i < 14; i++) await chat.task();
      expect(bot.audits.list().map((a) => a.trigger)).toEqual(['every 15 tasks (30)', 'every 15 tasks (15)']);
    } finally {
      bot.db.close();
      chat.db.close();
    }
  });
});
