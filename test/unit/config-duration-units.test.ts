/**
 * A duration setting read with a unit (`CAIRN_REQUEST_TIMEOUT_MS=30s`, `timeoutMs: 30s` in the
 * config file) was refused as "expected number, received string", without naming the unit the
 * setting wants. Now a unit is converted to the setting's own, and other text is refused naming it.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import type { ConfigError } from '../../src/core/errors.js';

const load = (env: Record<string, string>, yaml = '') => {
  const cwd = mkdtempSync(join(tmpdir(), 'cairn-config-'));
  writeFileSync(join(cwd, 'cairn.yaml'), yaml);
  return loadConfig({ env: { CAIRN_MODEL: 'm', CAIRN_BASE_URL: 'http://127.0.0.1:9/v1', ...env }, cwd, dotenv: false, configPath: 'cairn.yaml' });
};
const problemsOf = (env: Record<string, string>, yaml = ''): string[] => {
  try {
    load(env, yaml);
    return [];
  } catch (error) {
    return [...(error as ConfigError).problems];
  }
};

describe('durations with a unit', () => {
  it('converts a unit in the environment to the unit of the setting', () => {
    const config = load({ CAIRN_REQUEST_TIMEOUT_MS: '30s', CAIRN_SESSION_IDLE_MINUTES: '1h', CAIRN_COMMAND_TIMEOUT_SECONDS: '5m', CAIRN_SHUTDOWN_GRACE_MS: '1.1s', CAIRN_KEEP_FILES_DAYS: '2 days' });
    expect(config.model.timeoutMs).toBe(30_000);
    expect(config.agent.sessionIdleMinutes).toBe(60);
    expect(config.backends.commandTimeoutSeconds).toBe(300);
    expect(config.agent.shutdownGraceMs).toBe(1100);
    expect(config.agent.keepFilesDays).toBe(2);
  });

  it('converts a unit in the config file, and keeps plain numbers as they were', () => {
    const config = load({}, 'model:\n  timeoutMs: 2m\n  retryBaseDelayMs: 750\nbackends:\n  idleMinutes: 90s\nplatforms:\n  pairingCodeMinutes: 2h\n');
    expect(config.model.timeoutMs).toBe(120_000);
    expect(config.model.retryBaseDelayMs).toBe(750);
    expect(config.backends.idleMinutes).toBe(1.5);
    expect(config.platforms.pairingCodeMinutes).toBe(120);
  });

  it('refuses other text naming the unit the setting wants, with an example', () => {
    expect(problemsOf({ CAIRN_REQUEST_TIMEOUT_MS: '30 parsecs' })).toEqual([expect.stringMatching(/^CAIRN_REQUEST_TIMEOUT_MS .*expected a duration in milliseconds, such as 30000, or with a unit: 30s/)]);
    expect(problemsOf({}, 'agent:\n  sessionIdleMinutes: half an hour\n')).toEqual([expect.stringContaining('expected a duration in minutes, such as 5, or with a unit')]);
    // The environment's numbers stay decimals: `1e3` is no duration.
    expect(problemsOf({ CAIRN_SHUTDOWN_GRACE_MS: '1e3' })).toEqual([expect.stringContaining('expected a duration in milliseconds')]);
  });

  it('still holds a timer setting to what a timer can wait', () => {
    expect(problemsOf({ CAIRN_REQUEST_TIMEOUT_MS: '30d' })).toEqual([expect.stringMatching(/^CAIRN_REQUEST_TIMEOUT_MS .*2147483647/)]);
  });
});
