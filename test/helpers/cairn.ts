/** Builds a real Cairn (real SQLite in a temp dir, real openai client) against a fake model server. */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type Config } from '../../src/config/load.js';
import { createCairn, type Cairn, type CairnOverrides } from '../../src/main.js';
import { ManualClock } from '../../src/core/clock.js';
import { silentLogger } from '../../src/core/logger.js';
import { RecordingAdapter } from './recording-adapter.js';

export function tempDir(prefix = 'cairn-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface TestCairn extends Cairn {
  adapter: RecordingAdapter;
  manualClock: ManualClock;
  /** Delays the model client asked to sleep for (retries), in order. */
  sleeps: number[];
}

export function testConfig(modelUrl: string, env: Record<string, string> = {}, dataDir = tempDir()): Config {
  return loadConfig({
    env: { CAIRN_BASE_URL: modelUrl, CAIRN_MODEL: 'test-model', CAIRN_API_KEY: 'sk-test-secret-key', CAIRN_DATA_DIR: dataDir, ...env },
    dotenv: false,
    cwd: dataDir,
  });
}

export function startTestCairn(config: Config, overrides: CairnOverrides = {}): TestCairn {
  const manualClock = new ManualClock(Date.UTC(2026, 10, 24, 9));
  const sleeps: number[] = [];
  const cairn = createCairn(config, {
    clock: manualClock,
    logger: silentLogger,
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    ...overrides,
  });
  const adapter = new RecordingAdapter();
  cairn.gateway.attach(adapter);
  return { ...cairn, adapter, manualClock, sleeps };
}
