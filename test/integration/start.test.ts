/** `cairn start`: one HTTP server on a free port with /healthz, a clean stop, and a failed start that leaves nothing running. */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startFakeModelServer } from '../fakes/model-server.js';
import { tempDir, testConfig } from '../helpers/cairn.js';
import { freePort } from '../helpers/free-port.js';
import { startCairn, type RunningCairn } from '../../src/cli/start.js';
import { GatedModel } from '../helpers/gated-model.js';
import { RecordingAdapter } from '../helpers/recording-adapter.js';
import { createLogger, silentLogger } from '../../src/core/logger.js';
import { CairnError, ConfigError } from '../../src/core/errors.js';
import type { Adapter } from '../../src/core/message.js';
import { databasePath, openDatabase } from '../../src/store/db.js';
import { MIGRATIONS } from '../../src/store/migrations/index.js';

describe('cairn start', () => {
  it('serves /healthz on a free port and stops cleanly', async () => {
    const model = await startFakeModelServer();
    const running = await startCairn(testConfig(model.url, { CAIRN_HTTP_PORT: '0' }), { logger: silentLogger, host: '127.0.0.1' });
    try {
      expect(running.port).toBeGreaterThan(0);
      const health = await fetch(`http://127.0.0.1:${running.port}/healthz`);
      expect(health.status).toBe(200);
      expect(await health.json()).toEqual({ ok: true, platforms: [] });
      expect((await fetch(`http://127.0.0.1:${running.port}/nope`)).status).toBe(404);
    } finally {
      await running.stop();
      await model.close();
    }
    expect(running.cairn.db.open).toBe(false);
    await expect(fetch(`http://127.0.0.1:${running.port}/healthz`)).rejects.toThrow();
  });

  it('refuses a second start on the same data folder, and starts again once the first stopped', async () => {
    const model = await startFakeModelServer();
    const config = testConfig(model.url, { CAIRN_HTTP_PORT: '0' });
    const running = await startCairn(config, { logger: silentLogger, host: '127.0.0.1' });
    try {
      // A command of the running start waits for an admin's approval.
      running.cairn.db
        .prepare("INSERT INTO command_approvals (id, session_id, conversation_id, requested_by, backend, tool, command, rule, reason, status, requested_at, expires_at) VALUES ('abcdef', 's', 'c', 'u', 'local', 'terminal', 'rm -rf ~', 'r', 'why', 'pending', 1, 2)")
        .run();
      await expect(startCairn(config, { logger: silentLogger, host: '127.0.0.1' })).rejects.toThrow(new RegExp(`^Another Cairn is running on this data folder \\(pid ${process.pid} on `));
      // The refused start left the first untouched: it still serves, and its request still waits.
      expect((await fetch(`http://127.0.0.1:${running.port}/healthz`)).status).toBe(200);
      expect(running.cairn.db.prepare("SELECT status FROM command_approvals WHERE id = 'abcdef'").pluck().get()).toBe('pending');
    } finally {
      await running.stop();
    }
    const again = await startCairn(config, { logger: silentLogger, host: '127.0.0.1' });
    await again.stop();
    await model.close();
  });

  it('refuses a second start until the first has finished closing (its note extraction still writes)', async () => {
    const config = testConfig('http://127.0.0.1:9/v1', { CAIRN_HTTP_PORT: '0', CAIRN_REFLECTION: 'off', CAIRN_SHUTDOWN_GRACE_MS: '15000' });
    const modelA = new GatedModel();
    const first = await startCairn(config, { logger: silentLogger, host: '127.0.0.1', model: modelA });
    const adapter = new RecordingAdapter();
    first.cairn.gateway.attach(adapter);
    // A conversation, then /new: the session ends and its extraction into notes starts (the model call waits).
    const turn = first.cairn.gateway.receive(adapter.message('remember that I deploy on Fridays'));
    await modelA.until(1);
    modelA.release();
    await turn;
    await first.cairn.gateway.receive(adapter.message('/new', { command: { name: 'new', args: '' } }));
    await modelA.until(2);

    // SIGTERM: the first Cairn stops, and is still closing (the extraction has its grace).
    const stopping = first.stop();
    await new Promise((resolve) => setImmediate(resolve));
    expect(first.cairn.db.open).toBe(true);

    const modelB = new GatedModel();
    let second: RunningCairn | undefined;
    try {
      // It succeeded while the first still wrote, and picked up the same extraction.
      await expect(
        startCairn(config, { logger: silentLogger, host: '127.0.0.1', model: modelB }).then((running) => {
          second = running;
          return running;
        }),
      ).rejects.toThrow(/Another Cairn is running on this data folder/);
    } finally {
      await new Promise((resolve) => setImmediate(resolve));
      const doubled = modelB.started.length;
      // Every model call from here on is answered at once, so both can finish closing.
      let answering = true;
      void (async () => {
        while (answering) {
          modelA.release();
          modelB.release();
          await new Promise((resolve) => setImmediate(resolve));
        }
      })();
      await stopping;
      await second?.stop();
      answering = false;
      // What the second start did meanwhile: it asked its model to condense the first's conversation again.
      if (second) expect(doubled, 'the second start re-ran the extraction the first was still running').toBe(0);
    }
  });

  it('expires the approvals an earlier run left waiting (nothing waits for them any more)', async () => {
    const model = await startFakeModelServer();
    const dataDir = tempDir();
    const db = openDatabase(join(dataDir, 'cairn.db'));
    db.prepare("INSERT INTO command_approvals (id, session_id, conversation_id, requested_by, backend, tool, command, rule, reason, status, requested_at, expires_at) VALUES ('abc234', 's', 'telegram:dm:7', 'telegram:7', 'local', 'terminal', 'rm -rf ~', 'r', 'why', 'pending', 1, 2)").run();
    db.close();
    const running = await startCairn(testConfig(model.url, { CAIRN_HTTP_PORT: '0' }, dataDir), { logger: silentLogger, host: '127.0.0.1' });
    try {
      expect(running.cairn.db.prepare("SELECT status, decided_by FROM command_approvals WHERE id = 'abc234'").get()).toEqual({ status: 'expired', decided_by: 'cairn:restart' });
    } finally {
      await running.stop();
      await model.close();
    }
  });

  it('/healthz answers 503 and names the problem once a platform stopped for good', async () => {
    const model = await startFakeModelServer();
    let health = { ok: true, problem: 'Another process polls Telegram with this bot token' };
    const adapter: Adapter = {
      platform: 'telegram',
      capabilities: { threads: false, edits: false, reactions: false, typing: false, streaming: false, maxMessageLength: 4096 },
      start: async () => {},
      stop: async () => {},
      send: async () => {},
      health: () => health,
    };
    const config = testConfig(model.url, { CAIRN_HTTP_PORT: '0', TELEGRAM_BOT_TOKEN: '1:x', CAIRN_METRICS: 'true' });
    const running = await startCairn(config, { logger: silentLogger, host: '127.0.0.1', factories: { telegram: () => adapter } });
    const up = async () => /^cairn_platform_up\{platform="telegram"\} (\d)$/m.exec(await (await fetch(`http://127.0.0.1:${running.port}/metrics`)).text())?.[1];
    try {
      const url = `http://127.0.0.1:${running.port}/healthz`;
      const passing = await fetch(url);
      expect(passing.status).toBe(200);
      expect(await up()).toBe('1');
      expect(await passing.json()).toEqual({ ok: true, platforms: ['telegram'], problems: { telegram: 'Another process polls Telegram with this bot token' } });
      health = { ok: false, problem: 'Long polling stopped: Telegram refused the bot token: check TELEGRAM_BOT_TOKEN.' };
      const failing = await fetch(url);
      expect(failing.status).toBe(503);
      expect(await failing.json()).toMatchObject({ ok: false, problems: { telegram: health.problem } });
      expect(await up()).toBe('0');
    } finally {
      await running.stop();
      await model.close();
    }
  });

  it('when a platform cannot start, fails with its error and leaves nothing running: adapters, HTTP server, database', async () => {
    const model = await startFakeModelServer();
    const port = await freePort();
    const stopped: string[] = [];
    const fakeAdapter = (platform: string, start: () => Promise<void>): Adapter => ({
      platform,
      capabilities: { threads: false, edits: false, reactions: false, typing: false, streaming: false, maxMessageLength: 4096 },
      start,
      stop: async () => void stopped.push(platform),
      send: async () => {},
    });
    const db = openDatabase(join(tempDir('cairn-start-'), 'cairn.db'));
    const config = testConfig(model.url, { CAIRN_HTTP_PORT: String(port), TELEGRAM_BOT_TOKEN: '1:x', SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    const starting = startCairn(config, {
      logger: silentLogger,
      host: '127.0.0.1',
      db,
      factories: {
        telegram: () => fakeAdapter('telegram', async () => {}),
        slack: () => fakeAdapter('slack', () => Promise.reject(new CairnError('network', 'Cannot reach Slack'))),
      },
    });
    await expect(starting).rejects.toThrow('Cannot reach Slack');
    expect(stopped.sort()).toEqual(['slack', 'telegram']);
    expect(db.open).toBe(false);
    await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
    await model.close();
  });

  it('when a platform cannot even be set up, fails with its error and closes the database', async () => {
    const model = await startFakeModelServer();
    const db = openDatabase(join(tempDir('cairn-start-'), 'cairn.db'));
    try {
      const config = testConfig(model.url, { CAIRN_HTTP_PORT: '0', TELEGRAM_BOT_TOKEN: '1:x' });
      const broken = () => {
        throw new ConfigError(['TELEGRAM_WEBHOOK_SECRET: webhook mode needs a secret.']);
      };
      await expect(startCairn(config, { logger: silentLogger, host: '127.0.0.1', db, factories: { telegram: broken } })).rejects.toThrow(/TELEGRAM_WEBHOOK_SECRET/);
      expect(db.open).toBe(false);
    } finally {
      await model.close();
    }
  });

  it('fails with the reason when its port is taken, and closes the database', async () => {
    const model = await startFakeModelServer();
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    const db = openDatabase(join(tempDir('cairn-start-'), 'cairn.db'));
    try {
      const config = testConfig(model.url, { CAIRN_HTTP_PORT: String((taken.address() as AddressInfo).port) });
      await expect(startCairn(config, { logger: silentLogger, host: '127.0.0.1', db })).rejects.toThrow(/EADDRINUSE/);
      expect(db.open).toBe(false);
    } finally {
      taken.close();
      await model.close();
    }
  });

  it('when the audit schedule cannot start, fails naming CAIRN_AUDIT_CRON and leaves nothing running: the data folder starts again', async () => {
    const model = await startFakeModelServer();
    const dataDir = tempDir();
    const port = await freePort();
    // A cron of the right shape that node-cron refuses (minute 61) gets past the config and fails the start.
    const bad = testConfig(model.url, { CAIRN_HTTP_PORT: String(port), CAIRN_AUDIT_CRON: '61 3 * * *' }, dataDir);
    try {
      await expect(startCairn(bad, { logger: silentLogger, host: '127.0.0.1' })).rejects.toThrow(/CAIRN_AUDIT_CRON/);
      await expect(fetch(`http://127.0.0.1:${port}/healthz`)).rejects.toThrow();
      const running = await startCairn(testConfig(model.url, { CAIRN_HTTP_PORT: '0' }, dataDir), { logger: silentLogger, host: '127.0.0.1' });
      await running.stop();
    } finally {
      await model.close();
    }
  });

  it('refuses to start without a model, naming what to set', async () => {
    const config = testConfig('http://127.0.0.1:1/v1');
    config.providers = [];
    config.modelProblems = ['No model is configured. Set OPENAI_API_KEY …'];
    await expect(startCairn(config, { logger: silentLogger })).rejects.toThrow(/OPENAI_API_KEY/);
  });

  it('says it is upgrading the database before migrations that may take a while, and nothing when there are none', async () => {
    const model = await startFakeModelServer();
    const dataDir = tempDir();
    const config = testConfig(model.url, { CAIRN_HTTP_PORT: '0' }, dataDir);
    // A data folder the version before the last two migrations left.
    openDatabase(databasePath(dataDir), { migrations: MIGRATIONS.filter((migration) => migration.version < 31) }).close();
    const log: Record<string, unknown>[] = [];
    const logger = createLogger({ level: 'info', format: 'json', destination: { write: (line: string) => void log.push(JSON.parse(line) as Record<string, unknown>) } });
    const upgrades = () => log.filter((entry) => entry.msg === 'upgrading the database (a large one may take a minute)');
    try {
      const first = await startCairn(config, { logger, host: '127.0.0.1' });
      await first.stop();
      expect(upgrades()).toEqual([expect.objectContaining({ from: 30, to: MIGRATIONS.at(-1)?.version, migrations: MIGRATIONS.filter((migration) => migration.version >= 31).map((migration) => migration.name) })]);
      const second = await startCairn(config, { logger, host: '127.0.0.1' });
      await second.stop();
      expect(upgrades()).toHaveLength(1);
    } finally {
      await model.close();
    }
  });
});
