/**
 * Operator commands for the execution back ends:
 *   cairn backend check <name>   start it, run `echo`, stop it, and say what to fix
 *   cairn exec [--backend <name>] [--session <id>] -- <command…>
 * `exec` joins its words with spaces and hands them to the shell, as ssh does.
 * With --session the environment is kept for the next call; without, a fresh one
 * is used and stopped. Commands typed here are the operator's own: no approval.
 * Ctrl-C (or SIGTERM) stops the command and its fresh environment, then exits 130 (143).
 */
import { randomBytes } from 'node:crypto';
import { Argument, Option } from 'commander';
import type { Config } from '../config/load.js';
import { BACKEND_NAMES, type BackendName } from '../config/backends.js';
import { CairnError, describeError } from '../core/errors.js';
import { loggerFor } from '../core/logger.js';
import { createBackendLoader } from '../backends/factory.js';
import { environmentVariables } from '../backends/environments.js';
import type { Environment } from '../backends/types.js';
import type { CommandGroup } from './context.js';
import { onShutdownSignal } from './signals.js';

interface ExecOptions {
  backend?: BackendName;
  session?: string;
  timeout?: string;
}

export const backendCommands: CommandGroup = ({ program, config, print }) => {
  const group = program.command('backend').description('execution back ends the terminal and file tools run on');
  group
    .command('check')
    .description('start a back end, run `echo` in it and stop it; exit code 1 when something fails')
    .addArgument(new Argument('<name>', 'the back end').choices(BACKEND_NAMES))
    .action(async (name: BackendName) => {
      if (!(await checkBackend(config(), name, print))) process.exitCode = 1;
    });

  program
    .command('exec')
    .description('run a command on an execution back end and exit with its exit code')
    .addOption(new Option('-b, --backend <name>', 'back end (default: CAIRN_BACKEND)').choices(BACKEND_NAMES))
    .option('-s, --session <id>', 'use (and keep) this session\'s environment; default: a fresh one, stopped afterwards')
    .option('-t, --timeout <seconds>', 'kill the command after this long (default: CAIRN_COMMAND_TIMEOUT_SECONDS)')
    .argument('<command...>', 'a shell command line (words joined with spaces, as ssh does); put it after -- so its options are not read as cairn\'s')
    .action(async (words: string[], options: ExecOptions) => {
      process.exitCode = await execOnBackend(config(), words.join(' '), options);
    });
};

async function open(config: Config, name: BackendName, sessionId: string): Promise<{ environment: Environment; close: () => Promise<void> }> {
  const logger = loggerFor(config, 'warn');
  const load = createBackendLoader(config, logger);
  const backend = await load(name);
  const { env } = environmentVariables(name, { hostEnv: config.backendHostEnv, env: config.backends.env, secrets: config.secrets });
  const environment = await backend.start(sessionId, { env });
  return { environment, close: async () => backend.close?.() };
}

export async function checkBackend(config: Config, name: BackendName, print: (line: string) => void): Promise<boolean> {
  const started = Date.now();
  let opened: Awaited<ReturnType<typeof open>> | undefined;
  try {
    opened = await open(config, name, `check-${randomBytes(4).toString('hex')}`);
    print(`✓ ${name}: started in ${Date.now() - started} ms (work directory ${opened.environment.workdir})`);
    const ran = Date.now();
    const result = await opened.environment.exec({ command: 'echo cairn-ok', timeoutMs: 30_000 });
    if (result.exitCode !== 0 || result.stdout.trim() !== 'cairn-ok') {
      print(`✗ ${name}: \`echo cairn-ok\` gave exit code ${String(result.exitCode)}, output ${JSON.stringify(result.stdout.trim())}, errors ${JSON.stringify(result.stderr.trim())}`);
      return false;
    }
    print(`✓ ${name}: ran \`echo\` in ${Date.now() - ran} ms`);
    const stopping = Date.now();
    await opened.environment.stop();
    print(`✓ ${name}: stopped and cleaned up in ${Date.now() - stopping} ms`);
    return true;
  } catch (error) {
    print(`✗ ${name}: ${describeError(error)}`);
    await opened?.environment.stop().catch(() => undefined);
    return false;
  } finally {
    await opened?.close().catch(() => undefined);
  }
}

/** Runs one command, streams nothing back until it ends, and returns the exit code to use (124 on timeout, like timeout(1)). */
export async function execOnBackend(config: Config, command: string, options: ExecOptions): Promise<number> {
  const name = options.backend ?? config.backends.default;
  const keep = options.session !== undefined;
  const timeoutSeconds = options.timeout === undefined ? config.backends.commandTimeoutSeconds : Number(options.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0) {
    process.stderr.write(`cairn exec: --timeout must be a positive number of seconds, not "${String(options.timeout)}".\n`);
    return 2;
  }
  // The command leads a session of its own, so the terminal's Ctrl-C reaches only Cairn: without a
  // handler Node would exit at once and leave the command running and its environment behind.
  const interrupt = new AbortController();
  let cleanedUp!: () => void;
  const cleanup = new Promise<void>((resolve) => (cleanedUp = resolve));
  const removeSignals = onShutdownSignal(async () => {
    interrupt.abort(new CairnError('aborted', 'Interrupted.'));
    await cleanup;
  });
  try {
    const opened = await open(config, name, options.session ?? `cli-${randomBytes(4).toString('hex')}`);
    try {
      const result = await opened.environment.exec({ command, timeoutMs: timeoutSeconds * 1000, maxOutputBytes: 16 * 1024 * 1024, signal: interrupt.signal });
      process.stdout.write(result.stdout);
      process.stderr.write(result.stderr);
      if (result.timedOut) {
        process.stderr.write(`cairn exec: timed out after ${timeoutSeconds} s; the command and everything it started were killed.\n`);
        return 124;
      }
      return result.exitCode ?? 1;
    } catch (error) {
      if (!interrupt.signal.aborted) throw error;
      process.stderr.write(`cairn exec: interrupted; the command and everything it started were killed${keep ? ' (the session\'s environment stays)' : ', and its environment is being removed'}.\n`);
      return 130;
    } finally {
      await (keep ? opened.environment.detach() : opened.environment.stop()).catch((error: unknown) => process.stderr.write(`cairn exec: cleaning up failed: ${describeError(error)}\n`));
      await opened.close().catch(() => undefined);
    }
  } finally {
    // The signal handler exits (130 for SIGINT, 143 for SIGTERM) once this clean-up is done.
    cleanedUp();
    removeSignals();
  }
}
