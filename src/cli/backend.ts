/**
 * Operator commands for the execution back ends:
 *   cairn backend check <name>   start it, run `echo`, stop it, and say what to fix
 *   cairn exec [--backend <name>] [--session <id>] -- <command…>
 * `exec` joins its words with spaces and hands them to the shell, as ssh does, and like ssh
 * gives the command what is piped into it and passes its output on byte for byte as it comes.
 * With --session the environment is kept for the next call; without, a fresh one
 * is used and stopped. Commands typed here are the operator's own: no approval.
 * Ctrl-C (or SIGTERM) stops the command and its fresh environment, then exits 130 (143).
 */
import { randomBytes } from 'node:crypto';
import { addAbortSignal } from 'node:stream';
import { Argument, Option } from 'commander';
import type { Config } from '../config/load.js';
import { BACKEND_NAMES, type BackendName } from '../config/backends.js';
import { CairnError, describeError } from '../core/errors.js';
import { loggerFor } from '../core/logger.js';
import { createBackendLoader } from '../backends/factory.js';
import { environmentVariables } from '../backends/environments.js';
import type { Environment, ExecResult } from '../backends/types.js';
import type { CommandGroup } from './context.js';
import { onShutdownSignal } from './signals.js';

/** The longest --timeout: the cap of CAIRN_COMMAND_TIMEOUT_SECONDS and of the terminal tool's timeout too. */
const MAX_TIMEOUT_SECONDS = 3600;
/** The back-end port takes stdin in one piece, so it is read whole before the command starts: this much at most. */
const MAX_STDIN_BYTES = 256 * 1024 * 1024;

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
    .option('-t, --timeout <seconds>', `kill the command after this long, at most ${MAX_TIMEOUT_SECONDS} (default: CAIRN_COMMAND_TIMEOUT_SECONDS)`)
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

/**
 * Runs one command, its output passed on as it comes, and returns the exit code to use: the
 * command's, 124 on timeout (like timeout(1)), 130 when interrupted, 141 when the reader of
 * stdout went away (`cairn exec -- yes | head -1`, as SIGPIPE would end it), 1 when the
 * output could not be written otherwise.
 */
export async function execOnBackend(config: Config, command: string, options: ExecOptions): Promise<number> {
  const name = options.backend ?? config.backends.default;
  const keep = options.session !== undefined;
  const timeoutSeconds = options.timeout === undefined ? config.backends.commandTimeoutSeconds : Number(options.timeout);
  if (!Number.isFinite(timeoutSeconds) || timeoutSeconds <= 0 || timeoutSeconds > MAX_TIMEOUT_SECONDS) {
    process.stderr.write(`cairn exec: --timeout must be a number of seconds above 0 and at most ${MAX_TIMEOUT_SECONDS} (an hour, as for CAIRN_COMMAND_TIMEOUT_SECONDS), not "${String(options.timeout)}".\n`);
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
  // Output that cannot be written (the reader of a pipe went away, a full disk) stops the command, which would run on unseen.
  let outputFailed: NodeJS.ErrnoException | undefined;
  const onStdoutError = (error: NodeJS.ErrnoException): void => {
    outputFailed ??= error;
    interrupt.abort(new CairnError('aborted', 'Writing the output failed.'));
  };
  process.stdout.on('error', onStdoutError);
  try {
    // As with ssh, what is piped in goes to the command; a terminal is left alone (nothing would end its input).
    const stdin = process.stdin.isTTY ? undefined : await readStdin(interrupt.signal);
    if (interrupt.signal.aborted) return 130;
    const opened = await open(config, name, options.session ?? `cli-${randomBytes(4).toString('hex')}`);
    try {
      const result = await opened.environment.exec({
        command,
        stdin,
        timeoutMs: timeoutSeconds * 1000,
        signal: interrupt.signal,
        onStdout: (chunk) => process.stdout.write(chunk),
        onStderr: (chunk) => process.stderr.write(chunk),
      });
      if (result.timedOut) {
        process.stderr.write(`${timedOutLine(result, timeoutSeconds)}\n`);
        return 124;
      }
      return result.exitCode ?? 1;
    } catch (error) {
      if (!interrupt.signal.aborted) throw error;
      if (outputFailed?.code === 'EPIPE') return 141;
      if (outputFailed) {
        process.stderr.write(`cairn exec: writing the output failed (${outputFailed.message}); the command and everything it started were stopped.\n`);
        return 1;
      }
      process.stderr.write(`cairn exec: interrupted; the command and everything it started were killed${keep ? ' (the session\'s environment stays)' : ', and its environment is being removed'}.\n`);
      return 130;
    } finally {
      await (keep ? opened.environment.detach() : opened.environment.stop()).catch((error: unknown) => process.stderr.write(`cairn exec: cleaning up failed: ${describeError(error)}\n`));
      await opened.close().catch(() => undefined);
    }
  } finally {
    process.stdout.off('error', onStdoutError);
    // The signal handler exits (130 for SIGINT, 143 for SIGTERM) once this clean-up is done.
    cleanedUp();
    removeSignals();
  }
}

/** What `cairn exec` says of a timeout: "killed" only when the kill got through (over a connection that stopped answering it may not have). */
export function timedOutLine(result: Pick<ExecResult, 'stillRunning'>, timeoutSeconds: number): string {
  return result.stillRunning
    ? `cairn exec: timed out after ${timeoutSeconds} s; the kill sent then did not get through (the connection stopped answering), so the command may still be running on the back end: check (ps) before running it again.`
    : `cairn exec: timed out after ${timeoutSeconds} s; the command and everything it started were killed.`;
}

/** All of stdin; undefined when it is empty (a back end without stdin would upload nothing), or when `signal` stopped the reading (Ctrl-C while a pipe stays open). */
async function readStdin(signal: AbortSignal): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of addAbortSignal(signal, process.stdin)) {
      size += (chunk as Buffer).length;
      if (size > MAX_STDIN_BYTES) throw new CairnError('invalid_input', `cairn exec passes on at most ${MAX_STDIN_BYTES / 1024 / 1024} MiB of stdin; copy larger input into the environment and have the command read the file.`);
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (signal.aborted) return undefined;
    throw error;
  }
  return size === 0 ? undefined : Buffer.concat(chunks);
}
