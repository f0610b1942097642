/** `cairn doctor` on a model name the endpoint does not serve: the names it does serve are the fix (a 404 read as "check the model name or the base URL" left both to guess). */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { testConfig } from '../helpers/cairn.js';
import { checkModels } from '../../src/cli/doctor-models.js';

let model: FakeModelServer;
beforeEach(async () => {
  model = await startFakeModelServer();
});
afterEach(async () => {
  await model.close();
});

const notServed = { error: { status: 404, body: { error: { message: 'model "test-model" not found, try pulling it first', type: 'api_error' } } } } as const;

describe('cairn doctor on a model name the endpoint does not serve', () => {
  it('lists the models the endpoint does serve, so the name can be fixed (the base URL is right: it lists them)', async () => {
    model.setDefault(() => notServed);
    model.setModels(['llama3.1:8b', 'qwen2.5:7b']);
    const [primary] = await checkModels(testConfig(model.url));
    expect(primary?.ok).toBe(false);
    expect(primary?.detail).toMatch(/serves llama3\.1:8b, qwen2\.5:7b/);
    expect(primary?.detail).toContain('CAIRN_MODEL');
    expect(primary?.detail).not.toContain('usually ends in /v1');
  });

  it('points at the base URL when the endpoint lists no models either', async () => {
    model.setDefault(() => notServed);
    model.setModels(undefined);
    const [primary] = await checkModels(testConfig(model.url));
    expect(primary?.detail).toContain('CAIRN_BASE_URL (it usually ends in /v1)');
  });

  it('shows the first names of a long list, and where the rest are', async () => {
    model.setDefault(() => notServed);
    model.setModels(Array.from({ length: 12 }, (_, i) => `model-${i + 1}`));
    const [primary] = await checkModels(testConfig(model.url));
    expect(primary?.detail).toContain(`model-10 and 2 more (GET ${model.url}/models lists them)`);
    expect(primary?.detail).not.toContain('model-11');
  });
});
