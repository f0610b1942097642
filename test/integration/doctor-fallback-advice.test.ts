/** `cairn doctor` names a failing fallback entry's own settings: the primary's variables sent people to change the endpoint that worked. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { loadConfig } from '../../src/config/load.js';
import { checkModels } from '../../src/cli/doctor-models.js';

let model: FakeModelServer;
beforeEach(async () => {
  model = await startFakeModelServer();
});
afterEach(async () => {
  await model.close();
});

function configWithFallback(fallbackKey: string) {
  const cwd = mkdtempSync(join(tmpdir(), 'cairn-doctor-'));
  writeFileSync(join(cwd, 'cairn.yaml'), ['model:', '  fallback:', `    - { provider: custom, baseUrl: "${model.url}", model: backup-model, apiKeyEnv: BACKUP_KEY }`, ''].join('\n'));
  return loadConfig({ env: { CAIRN_BASE_URL: model.url, CAIRN_MODEL: 'main-model', CAIRN_API_KEY: 'sk-main-key-123456', BACKUP_KEY: fallbackKey }, dotenv: false, cwd, configPath: 'cairn.yaml' });
}

describe('cairn doctor on a fallback endpoint', () => {
  it("names the fallback entry's own key variable when its key is refused, not CAIRN_API_KEY (the primary's)", async () => {
    model.setDefault((request) => (request.headers.authorization === 'Bearer sk-main-key-123456' ? { text: 'OK' } : { error: { status: 401 } }));
    const [primary, fallback] = await checkModels(configWithFallback('sk-wrong-backup-key'));
    expect(primary?.ok).toBe(true);
    expect(fallback?.ok).toBe(false);
    expect(fallback?.detail).toContain('BACKUP_KEY');
    expect(fallback?.detail).not.toContain('CAIRN_API_KEY');
  });

  it('names the entry in the config file when its model is not served, not CAIRN_MODEL', async () => {
    model.setDefault((request) => ((request.body as { model?: string }).model === 'main-model' ? { text: 'OK' } : { error: { status: 404 } }));
    const [, fallback] = await checkModels(configWithFallback('sk-backup-key'));
    expect(fallback?.ok).toBe(false);
    expect(fallback?.detail).toContain('model.fallback[0]');
    expect(fallback?.detail).not.toContain('CAIRN_MODEL');
  });
});
