/**
 * A data team's week on Daytona sandboxes, through the environment registry Cairn's tools use and
 * the real @daytonaio/sdk against a loopback fake of Daytona whose lifecycle (auto-stop counting
 * requests, not processes; auto-delete of stopped sandboxes) runs on a clock the test moves:
 * two conversations each in their own sandbox at once; a training run longer than Daytona's
 * auto-stop interval, which must not be stopped under it; and Cairn killed while a sandbox exists,
 * which Daytona must not keep (archived, billed for disk) for good.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DaytonaBackend, type DaytonaBackendOptions } from '../../src/backends/daytona.js';
import { EnvironmentRegistry } from '../../src/backends/environments.js';
import { silentLogger } from '../../src/core/logger.js';
import { ManualTimers } from '../backends/helpers.js';
import { startFakeDaytona, type FakeDaytona } from '../fakes/daytona-api.js';

const MINUTE = 60_000;

describe('a week of a data team on Daytona sandboxes', () => {
  let daytona: FakeDaytona;
  /** Daytona's activity refreshes during long commands. */
  const keepAlive = new ManualTimers();
  const settings = (): DaytonaBackendOptions => ({ apiKey: 'dtn_team_key', apiUrl: daytona.apiUrl, autoStopMinutes: 30, autoDeleteMinutes: 1440, workdir: 'workspace', defaultTimeoutMs: 60_000, timers: keepAlive });
  const registryOn = (backend: DaytonaBackend) =>
    new EnvironmentRegistry({ load: async () => backend, backendFor: () => 'daytona', hostEnv: {}, env: {}, secrets: [], shared: false, idleMs: 30 * MINUTE, timers: new ManualTimers(), logger: silentLogger });
  const sandboxNamed = (name: string) => [...daytona.sandboxes.values()].find((sandbox) => sandbox.name === name);

  beforeAll(async () => {
    daytona = await startFakeDaytona();
  });
  afterAll(async () => {
    await daytona.close();
  });

  it('Monday: two conversations work at once, each in its own sandbox, and /new deletes one', async () => {
    const backend = new DaytonaBackend(settings());
    const registry = registryOn(backend);
    const [ada, bob] = await Promise.all([
      registry.use('ada-1', 'slack:T1:C1', (env) => env.exec({ command: 'echo ada > who; cat who' })),
      registry.use('bob-1', 'slack:T1:C2', (env) => env.exec({ command: 'echo bob > who; cat who' })),
    ]);
    expect([ada.stdout, bob.stdout]).toEqual(['ada\n', 'bob\n']);
    expect(sandboxNamed('cairn-ada-1')?.labels).toMatchObject({ 'cairn.session': 'ada-1' });
    await registry.release('ada-1');
    expect(sandboxNamed('cairn-ada-1')).toBeUndefined();
    expect((await registry.use('bob-1', 'slack:T1:C2', (env) => env.exec({ command: 'cat who' }))).stdout).toBe('bob\n');
    await registry.stopAll();
    expect(sandboxNamed('cairn-bob-1')).toBeUndefined();
  });

  it('Tuesday: a 45-minute training run outlasts the 30-minute auto-stop without its sandbox being stopped under it', async () => {
    const backend = new DaytonaBackend(settings());
    const registry = registryOn(backend);
    const training = registry.use('train-1', 'slack:T1:C3', (env) => env.exec({ command: 'mkfifo go; echo up > started; read epochs < go; echo "trained $epochs epochs"', timeoutMs: 3_600_000 }));
    const workdir = () => join(sandboxNamed('cairn-train-1')?.home ?? '/nonexistent', 'workspace');
    await vi.waitFor(() => expect(existsSync(join(workdir(), 'started'))).toBe(true), { timeout: 10_000 });
    // Each quarter hour Cairn's refresh is due; Daytona would stop a sandbox whose last request is 30 minutes old.
    for (let quarter = 1; quarter <= 3; quarter++) {
      daytona.advance(15 * MINUTE);
      keepAlive.fireAll();
      await vi.waitFor(() => expect(daytona.requests.filter((request) => request.path.endsWith('/last-activity'))).toHaveLength(quarter), { timeout: 5_000 });
    }
    expect(sandboxNamed('cairn-train-1')?.state).toBe('started');
    writeFileSync(join(workdir(), 'go'), '12\n');
    expect(await training).toMatchObject({ exitCode: 0, stdout: 'trained 12 epochs\n' });
    // Done: nothing refreshes an idle sandbox, so Daytona's backstop still stops it.
    expect(keepAlive.delays()).toEqual([]);
    daytona.advance(30 * MINUTE);
    expect(sandboxNamed('cairn-train-1')?.state).toBe('stopped');
    await registry.stopAll();
  });

  it('Wednesday: Cairn is killed while a sandbox exists; Daytona stops it, and deletes it a day later', async () => {
    const backend = new DaytonaBackend(settings());
    const registry = registryOn(backend);
    await registry.use('eve-1', 'slack:T1:C4', (env) => env.writeFile('notes.txt', new TextEncoder().encode('draft')));
    expect(sandboxNamed('cairn-eve-1')?.create).toMatchObject({ autoStopInterval: 30, autoDeleteInterval: 1440 });
    // Killed: no stop, no delete. Daytona's auto-stop ends the billing of CPU and memory...
    daytona.advance(30 * MINUTE);
    expect(sandboxNamed('cairn-eve-1')?.state).toBe('stopped');
    // ...and a Cairn started again the same day finds the sandbox, with its files.
    const restarted = registryOn(new DaytonaBackend(settings()));
    expect(new TextDecoder().decode(await restarted.use('eve-1', 'slack:T1:C4', (env) => env.readFile('notes.txt')))).toBe('draft');
    // Killed once more, and the session never comes back: a day after it stopped, the sandbox is gone.
    daytona.advance(30 * MINUTE);
    expect(sandboxNamed('cairn-eve-1')?.state).toBe('stopped');
    daytona.advance(24 * 60 * MINUTE);
    expect(sandboxNamed('cairn-eve-1')).toBeUndefined();
  });
});
