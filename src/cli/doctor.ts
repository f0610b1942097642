/**
 * `cairn doctor`: checks configuration, the database, each model endpoint, the aux
 * model and the embeddings model (one tiny request each), and each configured chat
 * platform's credentials, and says what to fix. Exit code 1 when anything failed.
 */
import { accessSync, constants, mkdirSync } from 'node:fs';
import type { Config } from '../config/load.js';
import { databasePath, openDatabase } from '../store/db.js';
import { createModelClient } from '../model/client.js';
import { describeError, isCairnError } from '../core/errors.js';
import { silentLogger } from '../core/logger.js';
import { PROVIDER_PRESETS, type ProviderSettings } from '../model/providers.js';
import { createOpenAIEmbedder } from '../memory/notes/embeddings.js';
import { ConfigError } from '../core/errors.js';
import { enabledPlatforms } from '../core/adapter-factory.js';
import { ADAPTER_MODULES } from './adapter-modules.js';
import type { CommandGroup } from './context.js';

export const doctorCommands: CommandGroup = ({ program, config, print }) => {
  program
    .command('doctor')
    .description('check configuration, database, model endpoints and chat platform credentials, and say what to fix')
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
  results.push(...(await checkPlatforms(config)));
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
    // The database's own errors say what to do; a folder that cannot be made or written is CAIRN_DATA_DIR's.
    const advice = isCairnError(error) ? '' : ' Set CAIRN_DATA_DIR to a writable directory.';
    return { name: 'database', ok: false, detail: `${describeError(error).replace(/\.?$/, '.')}${advice}` };
  }
}

async function checkModels(config: Config): Promise<CheckResult[]> {
  const [primary] = config.providers;
  if (!primary) return [{ name: 'model', ok: false, detail: config.modelProblems.join(' ') }];
  const results: CheckResult[] = [];
  for (const [index, provider] of config.providers.entries()) {
    const name = index === 0 ? `model (${PROVIDER_PRESETS[provider.name].label})` : `fallback ${index} (${PROVIDER_PRESETS[provider.name].label})`;
    results.push(await probe(name, `${provider.model} at ${provider.baseUrl}`, () => complete(config, provider), modelFix));
  }
  // Summaries, reflection and audits use the aux model; a wrong name there fails only in the background.
  const aux = config.auxModel;
  if (aux && aux !== primary.model) {
    results.push(await probe('aux model', `${aux} at ${primary.baseUrl}`, () => complete(config, primary, aux), (error) => auxFix(error)));
  }
  const embeddings = config.memory.embeddingsModel;
  if (embeddings) {
    const embedder = createOpenAIEmbedder({ provider: primary, model: embeddings, timeoutMs: PROBE_TIMEOUT_MS, maxRetries: 0 });
    results.push(
      await probe(
        'embeddings',
        `${embeddings} at ${primary.baseUrl}`,
        async () => `${(await embedder.embed(['ok']))[0]?.length ?? 0} dimensions`,
        (error) => embeddingsFix(error),
      ),
    );
  }
  return results;
}

const PROBE_TIMEOUT_MS = 20_000;

/** Each configured platform's token and settings, by a read-only call to its API (no connection is kept). */
async function checkPlatforms(config: Config): Promise<CheckResult[]> {
  const platforms = enabledPlatforms(config);
  if (platforms.length === 0) return [{ name: 'platforms', ok: true, detail: 'none configured (`cairn chat` works in the terminal; see README for Telegram, Slack and Discord)' }];
  const results: CheckResult[] = [];
  for (const platform of platforms) {
    try {
      const adapter = await ADAPTER_MODULES[platform]();
      results.push({ name: platform, ok: true, detail: await adapter.checkCredentials(config) });
    } catch (error) {
      results.push({ name: platform, ok: false, detail: error instanceof ConfigError ? error.problems.join(' ') : describeError(error).replace(/\.?$/, '.') });
    }
  }
  return results;
}

/** Runs one probe and words its outcome: what answered and how fast, or what failed and what to fix. */
async function probe(name: string, what: string, run: () => Promise<string | void>, fix: (error: unknown) => string): Promise<CheckResult> {
  const started = Date.now();
  try {
    const extra = await run();
    return { name, ok: true, detail: `${what} answered in ${Date.now() - started} ms${extra ? ` (${extra})` : ''}` };
  } catch (error) {
    return { name, ok: false, detail: `${what}: ${describeError(error).replace(/\.?$/, '.')} ${fix(error)}` };
  }
}

async function complete(config: Config, provider: ProviderSettings, model?: string): Promise<void> {
  const client = createModelClient({
    providers: [provider],
    timeoutMs: Math.min(config.model.timeoutMs, PROBE_TIMEOUT_MS),
    retry: { maxRetries: 0, baseDelayMs: 1, maxDelayMs: 1, maxRetryAfterMs: 1 },
    logger: silentLogger,
  });
  await client.complete({ messages: [{ role: 'user', content: 'Reply with the word OK.' }], maxTokens: 5, purpose: 'probe', ...(model ? { model } : {}) });
}

function auxFix(error: unknown): string {
  return isCairnError(error) && error.code === 'not_found' ? 'Check CAIRN_AUX_MODEL: the primary endpoint must serve it.' : modelFix(error);
}

function embeddingsFix(error: unknown): string {
  if (isCairnError(error) && (error.code === 'not_found' || error.code === 'bad_request' || error.code === 'invalid_model_output')) {
    return 'Check CAIRN_EMBEDDINGS_MODEL: the primary endpoint must serve it at /embeddings. Until then note search uses keywords only.';
  }
  return modelFix(error);
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
