/** A missed audit at start-up runs beside the bot: `cairn start` does not wait for its model calls, and stopping does. */
import { describe, expect, it } from 'vitest';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { silentLogger } from '../../src/core/logger.js';
import { systemClock } from '../../src/core/clock.js';
import { openDatabase, databasePath } from '../../src/store/db.js';
import { Skills } from '../../src/skills/index.js';
import { TaskStore } from '../../src/learning/tasks.js';
import { AuditService } from '../../src/learning/audits.js';
import type { CronPort } from '../../src/learning/scheduler.js';
import { GatedModel } from '../helpers/gated-model.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { newTask } from './helpers.js';

const DAY = 86_400_000;

describe('cairn start with an audit missed while Cairn was down', () => {
  it('has started (schedules running, stop() available) while the audit still waits on the model, and stop() waits for the audit', async () => {
    const dataDir = tempDir();
    const config = testConfig('http://127.0.0.1:9/v1', { CAIRN_HTTP_PORT: '0' }, dataDir);
    // Two days ago a skill failed three times; no audit has run since (Cairn was down at 03:00).
    const db = openDatabase(databasePath(dataDir));
    const skills = new Skills({ db, dataDir, bundledDir: tempDir(), catalogTokens: 2_000, clock: systemClock, logger: silentLogger });
    skills.writer.create({ name: 'restarting-nginx', description: 'How to restart nginx. Use when the site is down.', body: '## Steps\n1. systemctl restart nginx\n' }, { author: 'person' });
    const tasks = new TaskStore(db);
    for (let i = 0; i < 3; i++) {
      tasks.insert(newTask({ request: 'the site is down', toolErrors: 1, errors: ['terminal: permission denied'], skillsUsed: [{ name: 'restarting-nginx', version: 1 }], outcome: 'failure', createdAt: Date.now() - 2 * DAY + i }));
    }
    db.close();

    // The aux model is slow today (it answers when the test says so).
    const model = new GatedModel();
    const cronPort: CronPort = () => ({ stop: () => {}, nextRunAfter: (at) => at + DAY });
    let running: RunningCairn | undefined;
    const starting = startCairn(config, { logger: silentLogger, host: '127.0.0.1', model, cronPort }).then((r) => (running = r));
    // The missed audit sends the failing skill to refinement: a reflection call, now waiting.
    await model.until(1);
    expect(model.started[0]).toContain('restarting-nginx');
    for (let i = 0; i < 200 && !running; i++) await new Promise((resolve) => setImmediate(resolve));
    expect(running).toBeDefined();

    // Stopping waits for the audit: the model answers (twice: an invalid answer is asked again), then the audit is done.
    const stopping = starting.then((r) => r.stop());
    model.release();
    await model.until(2);
    model.release();
    await stopping;

    const after = openDatabase(databasePath(dataDir));
    try {
      const audits = new AuditService({ db: after, tasks: new TaskStore(after), clock: systemClock, logger: silentLogger, dataDir, policy: { staleDays: 14, archiveDays: 30, poorSuccessRate: 0.5, minJudged: 3 } });
      expect(audits.list().map((audit) => [audit.trigger, audit.status])).toEqual([['missed at start-up', 'done']]);
    } finally {
      after.close();
    }
  });
});
