/**
 * The `cairn` command. Each subcommand group (src/cli/*.ts) loads config once, builds
 * what it needs through src/main.ts, and lets errors reach main(), which turns them
 * into a message and an exit code: 2 for configuration that needs fixing, 1 otherwise.
 * What they print often holds what chat users wrote (task requests, names, notes): its control
 * characters are written out as `\u001b`, so the operator's terminal shows them and obeys none.
 */
import { Command } from 'commander';
import { loadConfig, type Config } from './config/load.js';
import { installProxy } from './proxy/dispatcher.js';
import { ConfigError, describeError, isCairnError } from './core/errors.js';
import { escapeTerminalControls } from './core/terminal-text.js';
import type { CliContext, CommandGroup } from './cli/context.js';
import { chatCommands } from './cli/chat.js';
import { doctorCommands } from './cli/doctor.js';
import { pairingCommands } from './cli/pairing.js';
import { startCommands } from './cli/start.js';
import { rlCommands } from './cli/rl.js';
import { skillsCommands } from './cli/skills.js';
import { learningCommands } from './cli/learning.js';
import { backendCommands } from './cli/backend.js';
import { memoryCommands } from './cli/memory.js';
import { usageCommands } from './cli/usage.js';
import { backupCommands } from './cli/backup.js';
import { schedulesCommands } from './cli/schedules.js';
import { setupCommands } from './cli/setup.js';
import { toolsCommands } from './cli/tools.js';

const VERSION = '0.1.0';

function withProxy(config: Config): Config {
  installProxy(config.proxy);
  return config;
}

/** Every command group; later capabilities add theirs here. */
const GROUPS: readonly CommandGroup[] = [setupCommands, chatCommands, startCommands, doctorCommands, pairingCommands, skillsCommands, learningCommands, usageCommands, schedulesCommands, rlCommands, backendCommands, memoryCommands, backupCommands, toolsCommands];

export function buildProgram(print: (line: string) => void = (line) => console.log(escapeTerminalControls(line))): Command {
  const program = new Command('cairn')
    .description('Cairn: a self-improving chat agent for Slack, Discord and Telegram')
    .version(VERSION)
    .option('-c, --config <path>', 'YAML or JSON config file (default: $CAIRN_CONFIG)')
    .showHelpAfterError();
  const context: CliContext = {
    program,
    // Every command that reaches out (start, chat, doctor, rl) does so through HTTPS_PROXY when one is set.
    config: () => withProxy(loadConfig({ configPath: program.opts<{ config?: string }>().config })),
    print,
  };
  for (const group of GROUPS) group(context);
  return program;
}

export async function main(argv: readonly string[]): Promise<void> {
  // A reader of the output that goes away (`cairn memory export … | head`) is reported as an 'error'
  // event, which nobody would hear: Node would end with a stack trace. Each write of `print` says
  // itself whether it failed; the command then writes nothing more, finishes its work, and ends as
  // SIGPIPE would end it, 141 (any other failed write: 1). `chat` and `exec` watch their own output.
  process.stdout.on('error', () => undefined);
  process.stderr.on('error', () => undefined);
  let outputFailed: NodeJS.ErrnoException | undefined;
  const print = (line: string): void => {
    if (outputFailed) return;
    process.stdout.write(`${escapeTerminalControls(line)}\n`, (error) => void (error && (outputFailed ??= error)));
  };
  try {
    await buildProgram(print).parseAsync([...argv]);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${escapeTerminalControls(error.message)}\n`);
      process.exitCode = 2;
    } else {
      process.stderr.write(`cairn: ${escapeTerminalControls(isCairnError(error) ? error.message : describeError(error))}\n`);
      process.exitCode = 1;
    }
  }
  // A write to a pipe fails after the command has returned: wait for those already made.
  await new Promise<void>((resolve) => process.stdout.write('', () => resolve()));
  if (outputFailed && !process.exitCode) {
    if (outputFailed.code !== 'EPIPE') process.stderr.write(`cairn: writing the output failed: ${escapeTerminalControls(outputFailed.message)}\n`);
    process.exitCode = outputFailed.code === 'EPIPE' ? 141 : 1;
  }
}
