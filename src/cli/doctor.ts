/**
 * `cairn doctor`: checks configuration, the database and each model endpoint (one
 * tiny request), and says what to fix. Exit code 1 when anything failed.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { databasePath, openDatabase } from '../store/db.js';
import { createModelClient } from '../model/client.js';
import { describeError, isCairnError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { PROVIDER_PRESETS } from '../model/providers.js';
import { ConfigError } from '../core/errors.js';
import type { CommandGroup } from './context.js';

export const doctorCommands: CommandGroup = ({ program, config, print }) => {
  program
    .command('doctor')
    .description('check configuration, database and model endpoints, and say what to fix')
    .action(async () => {
      let loaded: Config;
      try {
        loaded = config();
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        print(`✗ config: ${error.message}`);
        process.exitCode = 1;
        return;
      }
      if (!(await runDoctor(loaded, print))) process.exitCode = 1;
    });
};

export interface CheckResult {
  name: string;
  ok: boolean;
  detail: string;
}

export async function runDoctor(config: Config, print: (line: string) => void): Promise<boolean> {
  const results: CheckResult[] = [{ name: 'config', ok: true, detail: config.configFile ? `loaded (file ${config.configFile})` : 'loaded from the environment' }];
  results.push(checkDatabase(config));
  results.push(...(await checkModels(config)));
  for (const result of results) print(`${result.ok ? '✓' : '✗'} ${result.name}: ${result.detail}`);
  const ok = results.every((result) => result.ok);
  print(ok ? 'Everything looks right.' : 'Fix the items marked ✗ and run `cairn doctor` again.');
  return ok;
}

function checkDatabase(config: Config): CheckResult {
  const path = databasePath(config.dataDir);
  try {
    mkdirSync(config.dataDir, { recursive: true });
    accessSync(config.dataDir, constants.W_OK);
    const db = openDatabase(path);
    try {
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') return { name: 'database', ok: false, detail: `${path} failed its integrity check (${String(check)}). Restore a backup or move the file away.` };
      const version = db.prepare('SELECT MAX(version) FROM schema_migrations').pluck().get();
      return { name: 'database', ok: true, detail: `${path} (schema ${String(version)}, WAL)` };
    } finally {
      db.close();
    }
  } catch (error) {
    return { name: 'database', ok: false, detail: `${describeError(error)} Set CAIRN_DATA_DIR to a writable directory.` };
  }
}

async function checkModels(config: Config): Promise<CheckResult[]> {
  if (config.providers.length === 0) return [{ name: 'model', ok: false, detail: config.modelProblems.join(' ') }];
  const results: CheckResult[] = [];
  for (const [index, provider] of config.providers.entries()) {
    const name = index === 0 ? `model (${PROVIDER_PRESETS[provider.name].label})` : `fallback ${index} (${PROVIDER_PRESETS[provider.name].label})`;
    const client = createModelClient({
      providers: [provider],
      timeoutMs: Math.min(config.model.timeoutMs, 20_000),
      retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
      logger: silentLogger,
    });
    const started = Date.now();
    try {
      await client.complete({ messages: [{ role: 'user', content: 'Reply with the word OK.' }], maxTokens: 5, purpose: 'probe' });
      results.push({ name, ok: true, detail: `${provider.model} at ${provider.baseUrl} answered in ${Date.now() - started} ms` });
    } catch (error) {
      results.push({ name, ok: false, detail: `${provider.model} at ${provider.baseUrl}: ${describeError(error).replace(/\.?$/, '.')} ${modelFix(error)}` });
    }
  }
  return results;
}

function modelFix(error: unknown): string {
  if (!isCairnError(error)) return 'Check CAIRN_BASE_URL and that the server is running.';
  switch (error.code) {
    case 'auth':
    case 'permission':
      return 'The key was refused: check CAIRN_API_KEY or the provider key variable.';
    case 'not_found':
      return 'Check CAIRN_MODEL (the model name) and CAIRN_BASE_URL (it usually ends in /v1).';
    case 'network':
    case 'timeout':
      return 'The endpoint cannot be reached: check CAIRN_BASE_URL and that the server is running.';
    case 'rate_limit':
      return 'The provider is rate-limiting this key; try again later or check your plan.';
    default:
      return 'Check the provider settings.';
  }
}
