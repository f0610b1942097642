/**
 * The set-up most end-to-end tests repeat: a fake model server for each test, and the Cairns the
 * test starts against it (one, or several on one data folder for a restart), all closed after it
 * and the server last. Call at the top of a test file.
 */
import { afterEach, beforeEach } from 'vitest';
import type { Config } from '../../src/config/load.js';
import type { CairnOverrides } from '../../src/main.js';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, tempDir, testConfig, type TestCairn } from './cairn.js';

export interface FakeModelRig {
  /** This test's model server. */
  readonly server: FakeModelServer;
  /** Starts Cairn against the server with these variables, on a new data folder or the one given (a restart); closed after the test. */
  start(env?: Record<string, string>, dataDir?: string): TestCairn;
  /** Starts Cairn on a config the test made (testConfig(rig.server.url, …) and more), with these overrides; closed after the test. */
  startWith(config: Config, overrides?: CairnOverrides): TestCairn;
}

export function useFakeModelRig(): FakeModelRig {
  let server: FakeModelServer | undefined;
  const running: TestCairn[] = [];
  beforeEach(async () => {
    server = await startFakeModelServer();
  });
  afterEach(async () => {
    // Closing twice is harmless: a test may close one itself to restart on its data folder.
    await Promise.all(running.splice(0).map((cairn) => cairn.close()));
    await server?.close();
  });
  const current = (): FakeModelServer => {
    if (!server) throw new Error('useFakeModelRig: the server exists only inside a test');
    return server;
  };
  const startWith = (config: Config, overrides: CairnOverrides = {}): TestCairn => {
    const cairn = startTestCairn(config, overrides);
    running.push(cairn);
    return cairn;
  };
  return {
    get server() {
      return current();
    },
    start(env = {}, dataDir = tempDir()) {
      return startWith(testConfig(current().url, env, dataDir));
    },
    startWith,
  };
}
