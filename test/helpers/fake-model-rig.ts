/**
 * The set-up most end-to-end tests repeat: a fake model server for each test, and the Cairn the
 * test starts against it, both closed after it. Call at the top of a test file.
 */
import { afterEach, beforeEach } from 'vitest';
import { startFakeModelServer, type FakeModelServer } from '../fakes/model-server.js';
import { startTestCairn, testConfig, type TestCairn } from './cairn.js';

export interface FakeModelRig {
  /** This test's model server. */
  readonly server: FakeModelServer;
  /** Starts Cairn against the server with these variables; closed after the test. */
  start(env?: Record<string, string>): TestCairn;
}

export function useFakeModelRig(): FakeModelRig {
  let server: FakeModelServer | undefined;
  let cairn: TestCairn | undefined;
  beforeEach(async () => {
    server = await startFakeModelServer();
  });
  afterEach(async () => {
    await cairn?.close();
    cairn = undefined;
    await server?.close();
  });
  const current = (): FakeModelServer => {
    if (!server) throw new Error('useFakeModelRig: the server exists only inside a test');
    return server;
  };
  return {
    get server() {
      return current();
    },
    start(env = {}) {
      cairn = startTestCairn(testConfig(current().url, env));
      return cairn;
    },
  };
}
