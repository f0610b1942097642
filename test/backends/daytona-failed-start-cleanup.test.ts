/**
 * A sandbox the daytona back end created for a start that then fails is deleted: no
 * environment holds it, so it would run (billed) until its auto-stop and stay stopped for
 * good. One found from an earlier run is kept, with its files. Fake Daytona API on loopback,
 * the real @daytonaio/sdk.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DaytonaBackend, type DaytonaBackendOptions } from '../../src/backends/daytona.js';
import type { CairnError } from '../../src/core/errors.js';
import { startFakeDaytona, type FakeDaytona } from '../fakes/daytona-api.js';

describe('daytona: a start that fails after the sandbox was created', () => {
  let api: FakeDaytona;
  let backend: DaytonaBackend;
  const options = (overrides: Partial<DaytonaBackendOptions> = {}): DaytonaBackendOptions => ({ apiKey: 'dtn_test_key_123456', apiUrl: api.apiUrl, autoStopMinutes: 15, workdir: 'workspace', defaultTimeoutMs: 10_000, ...overrides });
  beforeAll(async () => {
    api = await startFakeDaytona();
    backend = new DaytonaBackend(options());
  });
  afterAll(async () => {
    await backend.close();
    await api.close();
  });

  const names = () => [...api.sandboxes.values()].map((sandbox) => sandbox.name);

  it('deletes the new sandbox when its toolbox session cannot be opened', async () => {
    api.failNext(/\/process\/session$/, 502, 'bad gateway');
    const failed = (await backend.start('s-session', { env: {} }).catch((error: unknown) => error)) as CairnError;
    expect(failed).toMatchObject({ code: 'unavailable', platform: 'daytona' });
    expect(names()).not.toContain('cairn-s-session');
    expect(api.requests.at(-1)).toMatchObject({ method: 'DELETE' });
  });

  it('deletes the new sandbox when its directories cannot be made', async () => {
    const other = new DaytonaBackend(options({ workdir: '/proc/no/such' }));
    const failed = (await other.start('s-dirs', { env: {} }).catch((error: unknown) => error)) as CairnError;
    await other.close();
    expect(failed.message).toContain('Preparing the Daytona sandbox failed');
    expect(names()).not.toContain('cairn-s-dirs');
  });

  it('keeps a sandbox it found (an earlier run of the session, with its files) when the start fails', async () => {
    await (await backend.start('s-kept', { env: {} })).detach();
    api.failNext(/\/process\/session$/, 502, 'bad gateway');
    await expect(backend.start('s-kept', { env: {} })).rejects.toThrow('bad gateway');
    expect(names()).toContain('cairn-s-kept');
  });
});
