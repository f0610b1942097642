/**
 * `cairn setup`: the first run, step by step in the terminal. It asks which model to use
 * (a hosted provider and its key, or a local server's URL), checks it with one tiny
 * request, asks which chat platforms to join and checks each token, then writes the
 * answers to `.env` (env-file.ts), all at once at the end: a setup cancelled with Ctrl-C
 * writes nothing. The prompts are @inquirer's; tests drive them through their own streams.
 */
import { basename, dirname, resolve } from 'node:path';
import checkbox from '@inquirer/checkbox';
import confirm from '@inquirer/confirm';
import input from '@inquirer/input';
import password from '@inquirer/password';
import select from '@inquirer/select';
import { loadConfig, processEnv, type Config } from '../config/load.js';
import { CairnError } from '../core/errors.js';
import type { PlatformName } from '../core/adapter-factory.js';
import { PROVIDER_PRESETS, type ProviderName } from '../model/providers.js';
import { checkModels } from './doctor-models.js';
import { checkPlatform, type CheckResult } from './doctor.js';
import { readEnvFile, writeEnvFile, type EnvChanges } from './env-file.js';
import { PLATFORM_QUESTIONS, platformVariables } from './setup-platforms.js';
import type { CommandGroup } from './context.js';

/** Where the prompts read and write: the terminal, or a test's streams. */
export interface Terminal {
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

export interface SetupOptions {
  envFile: string;
  /** The process environment: it wins over .env, so what it sets is what Cairn will use. */
  env: Readonly<Record<string, string | undefined>>;
  terminal: Terminal;
  print(line: string): void;
  /** Where the person will start Cairn (default: here); its `.env` is the one Cairn reads. */
  cwd?: string;
}

/** The prompts, bound to the terminal. */
export type Ask = ReturnType<typeof promptsOn>;

const OLLAMA_URL = 'http://localhost:11434/v1';

export const setupCommands: CommandGroup = ({ program, print }) => {
  program
    .command('setup')
    .description('set up the model and the chat platforms step by step, and write them to .env')
    .option('--env-file <path>', 'the file to write', '.env')
    .action(async (options: { envFile: string }) => {
      if (!process.stdin.isTTY) throw new CairnError('invalid_input', '`cairn setup` asks questions: run it in a terminal, or write the settings into .env yourself (see the README, Configuration).');
      await runSetup({ envFile: resolve(options.envFile), env: processEnv(), terminal: { input: process.stdin, output: process.stdout }, print });
    });
};

/** Resolves when .env was written, or the person cancelled (nothing written then). */
export async function runSetup(options: SetupOptions): Promise<void> {
  const ask = promptsOn(options.terminal);
  const { print, envFile } = options;
  print(`Cairn setup. Your answers go to ${envFile}; other settings there stay as they are.`);
  try {
    const model = await chooseModel(ask, options);
    const changes: EnvChanges = { set: { ...model.set }, remove: [...(model.remove ?? [])] };
    await choosePlatforms(ask, options, changes);
    const before = readEnvFile(envFile);
    writeEnvFile(envFile, changes);
    printSummary(options, changes, (changes.remove ?? []).filter((key) => key in before));
  } catch (error) {
    // Ctrl-C in a prompt: nothing was written.
    if (error instanceof Error && error.name === 'ExitPromptError') return print('Setup cancelled; nothing was written.');
    throw error;
  }
}

function promptsOn(terminal: Terminal) {
  const context = { input: terminal.input, output: terminal.output };
  return {
    select: <T>(config: Parameters<typeof select<T>>[0]) => select<T>(config, context),
    input: (config: Parameters<typeof input>[0]) => input(config, context),
    secret: (config: Parameters<typeof password>[0]) => password({ mask: true, ...config }, context),
    confirm: (config: Parameters<typeof confirm>[0]) => confirm(config, context),
    checkbox: <T>(config: Parameters<typeof checkbox<T>>[0]) => checkbox<T>(config, context),
  };
}

/** The model's settings, asked again until they pass their check or the person keeps them anyway. */
async function chooseModel(ask: Ask, options: SetupOptions): Promise<EnvChanges> {
  const file = readEnvFile(options.envFile);
  for (;;) {
    const current = Object.keys(PROVIDER_PRESETS).find((name) => name === file.CAIRN_PROVIDER) as ProviderName | undefined;
    const provider = await ask.select<ProviderName>({
      message: 'Which model should Cairn use?',
      // Run again, setup starts from what .env has.
      ...(current ? { default: current } : {}),
      choices: [
        { name: 'OpenAI', value: 'openai' },
        { name: 'OpenRouter (many models, one key)', value: 'openrouter' },
        { name: 'Nous Portal (Hermes models)', value: 'nous' },
        { name: 'A local or self-hosted server (Ollama, vLLM, llama.cpp: any OpenAI-compatible API)', value: 'custom' },
      ],
    });
    // Each answer replaces the last: nothing of a provider tried before stays.
    const model = provider === 'custom' ? await customModel(ask, file) : await hostedModel(ask, provider, file);
    options.print('Checking the model with one short request…');
    const results = (await checkModels(effectiveConfig(options, model))).filter((result) => result.name.startsWith('model'));
    printResults(options, results);
    if (results.every((result) => result.ok)) return model;
    if (await ask.confirm({ message: 'Keep these settings anyway?', default: false })) return model;
  }
}

async function hostedModel(ask: Ask, provider: Exclude<ProviderName, 'custom'>, file: Record<string, string>): Promise<EnvChanges> {
  const preset = PROVIDER_PRESETS[provider];
  const keyEnv = preset.keyEnv ?? 'CAIRN_API_KEY';
  const kept = file[keyEnv];
  const key = await ask.secret({ message: `${preset.label} API key (${keyEnv})${kept ? ', empty to keep the one in .env' : ''}:`, validate: (value) => value.trim() !== '' || kept !== undefined || 'Paste the key (it is not shown).' });
  const model = await ask.input({ message: 'Model:', default: (file.CAIRN_PROVIDER === provider ? file.CAIRN_MODEL : undefined) ?? preset.defaultModel ?? '', validate: filled('a model name') });
  // A custom base URL or CAIRN_API_KEY left in .env would win over the provider's own.
  return { set: { CAIRN_PROVIDER: provider, [keyEnv]: key.trim() || (kept ?? ''), CAIRN_MODEL: model.trim() }, remove: ['CAIRN_BASE_URL', 'CAIRN_API_KEY'] };
}

async function customModel(ask: Ask, file: Record<string, string>): Promise<EnvChanges> {
  const baseUrl = await ask.input({ message: "Base URL of the server's OpenAI-compatible API:", default: file.CAIRN_BASE_URL ?? OLLAMA_URL, validate: httpUrl });
  const previous = file.CAIRN_PROVIDER === 'custom' ? file.CAIRN_MODEL : undefined;
  const model = await ask.input({ message: 'Model name, as the server calls it:', ...(previous ? { default: previous } : {}), validate: filled('the model name') });
  const key = (await ask.secret({ message: 'API key, if the server needs one (empty: none):' })).trim();
  const set: Record<string, string> = { CAIRN_PROVIDER: 'custom', CAIRN_BASE_URL: baseUrl.trim(), CAIRN_MODEL: model.trim(), ...(key ? { CAIRN_API_KEY: key } : {}) };
  return { set, remove: key ? [] : ['CAIRN_API_KEY'] };
}

async function choosePlatforms(ask: Ask, options: SetupOptions, changes: EnvChanges): Promise<void> {
  const file = readEnvFile(options.envFile);
  const configured = (platform: PlatformName) => platformVariables(platform).some((key) => file[key]);
  const chosen = await ask.checkbox<PlatformName>({
    message: 'Which chat platforms should Cairn join? (none: the terminal only)',
    choices: PLATFORM_QUESTIONS.map(({ platform, label }) => ({ name: label, value: platform, checked: configured(platform) })),
  });
  for (const { platform, label, ask: questions } of PLATFORM_QUESTIONS) {
    if (!chosen.includes(platform)) {
      // Left out now: its tokens go, so Cairn no longer joins it.
      if (configured(platform)) changes.remove = [...(changes.remove ?? []), ...platformVariables(platform)];
      continue;
    }
    for (;;) {
      const answers = await questions(ask, file);
      // Each attempt replaces the last, and a setting it leaves out (the app token, for events over HTTP) goes.
      const variables = platformVariables(platform);
      for (const key of variables) delete changes.set[key];
      Object.assign(changes.set, answers);
      changes.remove = [...(changes.remove ?? []).filter((key) => !variables.includes(key)), ...variables.filter((key) => !(key in answers))];
      options.print(`Checking ${label}…`);
      const result = await checkPlatform(platform, effectiveConfig(options, changes));
      printResults(options, [result]);
      if (result.ok || !(await ask.confirm({ message: `Enter the ${label} settings again?`, default: true }))) break;
    }
  }
}

/** The configuration Cairn will run with once the changes are written: the real environment still wins. */
function effectiveConfig(options: SetupOptions, changes: EnvChanges): Config {
  const file = readEnvFile(options.envFile);
  for (const key of changes.remove ?? []) delete file[key];
  const env = { ...file, ...changes.set, ...definedOnly(options.env) };
  return loadConfig({ env, dotenv: false, cwd: dirname(options.envFile) });
}

function printResults(options: SetupOptions, results: readonly CheckResult[]): void {
  for (const result of results) options.print(`  ${result.ok ? '✓' : '✗'} ${result.name}: ${result.detail}`);
}

function printSummary(options: SetupOptions, changes: EnvChanges, removed: readonly string[]): void {
  const { print } = options;
  const written = Object.keys(changes.set);
  print(`Wrote ${options.envFile} (readable by you only): ${written.join(', ')}.`);
  if (removed.length > 0) print(`Removed from it: ${removed.join(', ')}.`);
  const shadowed = [...written, ...(changes.remove ?? [])].filter((key) => options.env[key] !== undefined && options.env[key] !== changes.set[key]);
  if (shadowed.length > 0) print(`Note: your shell also sets ${shadowed.join(', ')}, which wins over .env: unset it, or Cairn uses that.`);
  const platforms = PLATFORM_QUESTIONS.filter(({ platform }) => platformVariables(platform).some((key) => key in changes.set)).map(({ label }) => label);
  const readFrom = resolve(options.cwd ?? process.cwd(), '.env');
  if (resolve(options.envFile) !== readFrom) {
    print(
      basename(options.envFile) === '.env'
        ? `Cairn reads the .env of the folder it starts in: run these in ${dirname(resolve(options.envFile))}.`
        : `Cairn reads a file named .env in the folder it starts in, not ${options.envFile}: rename it, or copy its lines into ${readFrom}.`,
    );
  }
  print('Next:');
  print('  npx cairn chat      talk to Cairn here in the terminal');
  if (platforms.length > 0) {
    print(`  npx cairn start     run Cairn on ${platforms.join(', ')}`);
    print('People who write to the bot get a pairing code; let them in with `npx cairn pairing approve <code>`. Admins (who approve risky commands) are set with TELEGRAM_ADMIN_USERS, SLACK_ADMIN_USERS or DISCORD_ADMIN_USERS (see the README).');
  }
  print('  npx cairn doctor    check everything again at any time');
}

function definedOnly(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined));
}

function filled(what: string): (value: string) => true | string {
  return (value) => value.trim() !== '' || `Enter ${what}.`;
}

function httpUrl(value: string): true | string {
  try {
    const url = new URL(value.trim());
    return url.protocol === 'http:' || url.protocol === 'https:' || 'Enter an http:// or https:// URL.';
  } catch {
    return `Enter a URL, such as ${OLLAMA_URL}.`;
  }
}
