/** `cairn chat`: talk to the agent in a terminal, or pipe messages through it one per line. */
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { requireModel, type Config } from '../config/load.js';
import { createCairn, type Cairn } from '../main.js';
import { loggerFor } from '../core/logger.js';
import { CairnError } from '../core/errors.js';
import { isControlCharacter } from '../core/terminal-text.js';
import { ConsoleAdapter } from '../../adapters/console/index.js';
import { consoleConversationId, type ConsoleIdentity } from '../../adapters/console/normalize.js';
import { onShutdownSignal } from './signals.js';
import type { CommandGroup } from './context.js';
import { loadToolModules, registerCustomTools } from '../tools/custom/index.js';
import { connectMcpServers } from '../tools/mcp/connect.js';

export interface ChatOptions {
  user?: string;
  session?: string;
}

export const chatCommands: CommandGroup = ({ program, config }) => {
  program
    .command('chat')
    .description('chat with the agent in the terminal; with piped input, one message per line')
    .option('-u, --user <id>', 'who you are (default: your OS user name)')
    .option('-s, --session <id>', 'conversation to continue or start (default: your user name)')
    .action(async (options: ChatOptions) => {
      await runChat(config(), options);
    });
};

export async function runChat(config: Config, options: ChatOptions): Promise<void> {
  const user = consoleName(options.user, '--user') ?? safeOsUser();
  const session = consoleName(options.session, '--session') ?? user;
  requireModel(config);
  const customTools = await loadToolModules(config.tools.modules);
  const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
  // Files Cairn sends (send_file) land in the data folder, not wherever the chat was started.
  const filesDir = join(config.dataDir, 'files');
  const identity = { user, session };
  // Cairn, built below, needs the adapter for its log output; the adapter asks this only once the chat has started.
  const isCommand = (name: string): boolean => cairn.commands.get(name) !== undefined;
  const adapter = new ConsoleAdapter({ input: process.stdin, output: process.stdout, notices: process.stderr, interactive, identity, filesDir, isCommand });
  // In a terminal, log lines go above the prompt instead of into the line being typed.
  const logger = interactive ? loggerFor(config, 'warn', { destination: adapter.logOutput, terminal: Boolean(process.stderr.isTTY) }) : undefined;
  const cairn = createCairn({ ...config, logLevel: config.logLevel ?? 'warn' }, logger ? { logger } : {});
  registerCustomTools(cairn.tools, customTools, { logger: cairn.logger, secrets: config.secrets, accountsOf: (person) => cairn.access.links.identitiesOf(person) });
  const mcp = await connectMcpServers(cairn);
  takeOverFromEarlierChats(cairn, identity);
  // Piped lines are read only after the turn's answer, so nobody here can answer a held command:
  // with an admin channel and a running `cairn start` to post it, the admins are asked there instead.
  if (!interactive) cairn.approvals.askAdminChannelWhenNoChat('a `cairn chat` reading piped input, where nobody can answer it');
  cairn.gateway.attach(adapter);
  const removeSignals = onShutdownSignal(async () => {
    await adapter.stop();
    await mcp?.close();
    await cairn.close();
  });
  try {
    await adapter.start(cairn.gateway.receive);
    // Tasks scheduled in this terminal's session answer here while it is open; another session's
    // wait for a terminal of theirs (the console prints every answer, whatever its conversation).
    // Piped chat runs none: a reminder's answer would land in the script's output, among the
    // answers to its lines, and be gone from the person's sight, marked done.
    if (interactive) cairn.schedules.start(cairn.gateway.receive, cairn.gateway.platforms(), consoleConversationId(identity));
    await adapter.done;
    // `echo q | cairn chat > answer.txt && …`: a script must be able to tell an error from an answer.
    if (!interactive && adapter.failedReplies > 0) process.exitCode = 1;
  } finally {
    removeSignals();
    await adapter.stop();
    await mcp?.close();
    await cairn.close();
  }
}

/** What a chat takes over on its data folder before the first line: what an earlier one left unfinished. */
export function takeOverFromEarlierChats(cairn: Cairn, identity: ConsoleIdentity): void {
  // The requests an earlier chat of this session left waiting. Not every terminal's: another
  // `cairn chat --session …` open now waits on its own, and its /approve would find it expired.
  // A running bot's are not touched either.
  cairn.approvals.expireLeftovers({ only: consoleConversationId(identity) });
  const ended = cairn.sessions.sweepIdle();
  if (ended.length > 0) cairn.logger.info({ sessions: ended.length }, 'ended sessions that went idle while Cairn was down');
  // Sessions whose note extraction failed or was cut short last time are retried now.
  cairn.notes.resumePending();
}

/**
 * A name given to --user or --session, checked. A blank one (`--session "$TICKET"` with the variable
 * unset) would make the key `console:`, one conversation and one notes key for every such run; a
 * control character would reach the terminal and the model's prompt.
 */
function consoleName(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new CairnError('invalid_input', `${option} needs a name, e.g. ${option} ada; leave it out for the default.`);
  if ([...value].some((char) => isControlCharacter(char.codePointAt(0) ?? 0))) throw new CairnError('invalid_input', `${option} cannot hold control characters: ${JSON.stringify(value)}.`);
  return value;
}

function safeOsUser(): string {
  try {
    return userInfo().username || 'local';
  } catch {
    return 'local';
  }
}
