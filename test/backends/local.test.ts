import { existsSync } from 'node:fs';
import { LocalBackend } from '../../src/backends/local.js';
import { TEST_PATH, tempDir } from './helpers.js';
import { backendContract } from './contract.js';

const backend = new LocalBackend({ workRoot: tempDir('cairn-local-'), defaultTimeoutMs: 10_000 });

backendContract('local', {
  skip: undefined,
  start: (sessionId) => backend.start(sessionId, { env: { PATH: TEST_PATH } }),
  isCleanedUp: async (environment) => !existsSync(environment.workdir),
});
