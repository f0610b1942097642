/** `cairn start` with no platform configured: one HTTP server on a free port with /healthz, and a clean stop. */
import { describe, expect, it } from 'vitest';
import { startFakeModelServer } from '../fakes/model-server.js';
import { testConfig } from '../helpers/cairn.js';
import { startCairn } from '../../src/cli/start.js';
import { silentLogger } from '../../src/core/logger.js';

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

  it('refuses to start without a model, naming what to set', async () => {
    const config = testConfig('http://127.0.0.1:1/v1');
    config.providers = [];
    config.modelProblems = ['No model is configured. Set OPENAI_API_KEY …'];
    await expect(startCairn(config, { logger: silentLogger })).rejects.toThrow(/OPENAI_API_KEY/);
  });
});
