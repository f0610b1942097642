/**
 * `cairn setup`: the first run, step by step in the terminal. It asks which model to use
 * (setup-model.ts: a hosted provider and its key, or a local server's URL), checks it with
 * one tiny request, asks which chat platforms to join (setup-platforms.ts) and checks each
 * token, then writes the answers to `.env` (env-file.ts), all at once at the end: a setup
 * cancelled with Ctrl-C writes nothing, and exits 130 so that `cairn setup && cairn chat`
 * stops there. The prompts are @inquirer's; tests drive them through their own streams.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import checkbox from '@inquirer/checkbox';
import confirm from '@inquirer/confirm';
import input from '@inquirer/input';
import password from '@inquirer/password';
import select from '@inquirer/select';
import { processEnv } from '../config/load.js';
import { CairnError } from '../core/errors.js';
import type { PlatformName } from '../core/adapter-factory.js';
import { checkPlatform } from './doctor.js';
import { envFileTarget, readEnvFile, writeEnvFile, type EnvChanges } from './env-file.js';
import { checkChanges, printResults } from './setup-check.js';
import { chooseModel } from './setup-model.js';
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

/** How setup ended: .env written, or cancelled with Ctrl-C in a prompt (.env left as it was). */
export type SetupOutcome = 'written' | 'cancelled';

/** The exit status of a command stopped by Ctrl-C (128 + SIGINT), as a shell gives it. */
const CANCELLED_EXIT_CODE = 130;

export const setupCommands: CommandGroup = ({ program, print }) => {
  program
    .command('setup')
    .description('set up the model and the chat platforms step by step, and write them to .env')
    // Not `--env-file`: Node 20 takes that as its own option anywhere on the command line, and exits (9) when the file does not exist yet.
    .option('--file <path>', 'the file to write', '.env')
    .action(async (options: { file: string }) => {
      if (!process.stdin.isTTY) throw new CairnError('invalid_input', '`cairn setup` asks questions: run it in a terminal, or write the settings into .env yourself (see the README, Configuration).');
      const outcome = await runSetup({ envFile: resolve(options.file), env: processEnv(), terminal: { input: process.stdin, output: process.stdout }, print });
      // Cancelled is no success: `npx cairn setup && npx cairn chat` (the README's first line) stops there.
      if (outcome === 'cancelled') process.exitCode = CANCELLED_EXIT_CODE;
    });
};

/** Resolves when .env was written, or the person cancelled (nothing written then). */
export async function runSetup(options: SetupOptions): Promise<SetupOutcome> {
  const ask = promptsOn(options.terminal);
  const { print, envFile } = options;
  // Before the first question: the answers are written only at the end (in Cairn's Docker image, whose /app is not the user's, they were all lost).
  refuseUnwritable(envFile);
  print(`Cairn setup. Your answers go to ${envFile}; other settings there stay as they are.`);
  try {
    const model = await chooseModel(ask, options);
    const changes: EnvChanges = { set: { ...model.set }, remove: [...(model.remove ?? [])] };
    await choosePlatforms(ask, options, changes);
    const before = readEnvFile(envFile);
    writeEnvFile(envFile, changes);
    printSummary(options, changes, (changes.remove ?? []).filter((key) => key in before));
    return 'written';
  } catch (error) {
    // Ctrl-C in a prompt: nothing was written.
    if (!(error instanceof Error && error.name === 'ExitPromptError')) throw error;
    print('Setup cancelled; nothing was written.');
    return 'cancelled';
  }
}

function refuseUnwritable(envFile: string): void {
  // The answers replace the file through a new file made beside it (where a link leads): its folder must be
  // writable too. A writable .env in a folder that is not (one bind-mounted into the Docker image's /app) lost them all at the end.
  const target = envFileTarget(envFile);
  const folder = dirname(target);
  const problem = unwritable(folder, `the folder ${folder} does not exist`, `the folder ${folder} is not writable by this user (the file is written through a new file beside it)`) ??
    (existsSync(target) ? unwritable(target, `${target} does not exist`, `${target} is not writable by this user`) : undefined);
  if (problem === undefined) return;
  throw new CairnError(
    'invalid_input',
    `Setup cannot write ${envFile}: ${problem}. Run it where you can write (the folder you start Cairn from), or name another file with --file. In Cairn's Docker image, run \`cairn setup\` on the host, or copy .env.example to .env and fill it in.`,
  );
}

/** Why `path` cannot be written (`missing` when it is not there), or undefined when it can. */
function unwritable(path: string, missing: string, denied: string): string | undefined {
  try {
    accessSync(path, constants.W_OK);
    return undefined;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? missing : denied;
  }
}

function promptsOn(terminal: Terminal) {
  const context = { input: terminal.input, output: terminal.output };
  return {
    select: <T>(config: Parameters<typeof select<T>>[0]) => select<T>(config, context),
    input: (config: Parameters<typeof input>[0]) => input(config, context),
    secret: (config: Parameters<typeof password>[0]) =>
      password({ mask: true, ...config, validate: async (value) => foreignCharacter(value) ?? (config.validate ? config.validate(value) : true) }, context),
    confirm: (config: Parameters<typeof confirm>[0]) => confirm(config, context),
    checkbox: <T>(config: Parameters<typeof checkbox<T>>[0]) => checkbox<T>(config, context),
  };
}

/**
 * Keys and tokens are printable ASCII. A character outside it is one a web page or document put in
 * (a typographic hyphen, a no-break space): past U+00FF no HTTP header can carry it, and the check
 * failed with "Cannot convert argument to a ByteString" and "Check the provider settings"; below, the key was sent and refused.
 */
function foreignCharacter(value: string): string | undefined {
  const characters = [...value.trim()];
  const at = characters.findIndex((character) => !/^[\x20-\x7E]$/.test(character));
  if (at === -1) return undefined;
  const code = (characters[at]?.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, '0');
  return `Character ${at + 1} is U+${code}, which no key or token has (a web page or document may have put it in): paste it again from where it was made.`;
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
      const results = await checkChanges(options, changes, async (config) => [await checkPlatform(platform, config)]);
      printResults(options, results);
      if (results.every((result) => result.ok) || !(await ask.confirm({ message: `Enter the ${label} settings again?`, default: true }))) break;
    }
  }
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
