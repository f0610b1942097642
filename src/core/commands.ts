/**
 * Chat commands (`/new`, `/help`, and those later services register). They run on
 * the session's queue, so `/new` sent during a turn applies after that turn.
 */
import { closest, distance } from 'fastest-levenshtein';
import type { InboundMessage, OutboundFile } from './message.js';

export interface CommandContext {
  message: InboundMessage;
  args: string;
  isAdmin: boolean;
  /** The largest file the conversation's platform takes; absent where it takes none. */
  maxFileBytes?: number | undefined;
}

/** A command's answer with files (`/export`); most answer with text alone. */
export interface CommandReply {
  text: string;
  files?: OutboundFile[];
}

export interface Command {
  name: string;
  /** One line for /help. */
  description: string;
  usage?: string;
  adminOnly?: boolean;
  /** Runs at once, outside the conversation's queue (answers to a turn that is waiting, such as /approve). */
  immediate?: boolean;
  /** Left out of /help and the platforms' command menus (/start, which Telegram sends by itself). */
  hidden?: boolean;
  run(context: CommandContext): Promise<string | CommandReply> | string | CommandReply;
}

export class CommandRegistry {
  private readonly commands = new Map<string, Command>();

  register(command: Command): this {
    this.commands.set(command.name, command);
    return this;
  }

  get(name: string): Command | undefined {
    return this.commands.get(name);
  }

  /** The commands people are shown (not the hidden ones). */
  list(): Command[] {
    return [...this.commands.values()].filter((command) => !command.hidden);
  }

  help(isAdmin: boolean): string {
    const lines = this.list()
      .filter((command) => isAdmin || !command.adminOnly)
      .map((command) => `/${command.usage ?? command.name} — ${command.description}`);
    return ['Commands:', ...lines, 'Anything else you write goes to the agent.'].join('\n');
  }

  /** ` Did you mean /stop?` for a typo one or two letters away from a command this user may run. */
  private suggestion(name: string, isAdmin: boolean): string {
    const names = this.list()
      .filter((command) => isAdmin || !command.adminOnly)
      .map((command) => command.name);
    if (names.length === 0) return '';
    const near = closest(name.toLowerCase(), names);
    return distance(name.toLowerCase(), near) <= Math.min(2, Math.floor(name.length / 2)) ? ` Did you mean /${near}?` : '';
  }

  async run(context: CommandContext): Promise<string | CommandReply> {
    const name = context.message.command?.name ?? '';
    const command = this.commands.get(name);
    if (!command || (command.adminOnly && !context.isAdmin)) {
      const what = command ? `/${name} is only for admins.` : `Unknown command /${name}.${this.suggestion(name, context.isAdmin)}`;
      return `${what}\n\n${this.help(context.isAdmin)}`;
    }
    return command.run({ ...context, args: withWordCase(command, context.args) });
  }
}

/**
 * `/schedules Cancel 5` (a phone capitalizes the first word): a word the command's usage spells
 * out (`cancel` of `schedules [cancel <id>]`), typed first in another case, is read as that word,
 * as the command's name is. Only such a whole word changes; names, ids and the words after it keep their case.
 */
function withWordCase(command: Command, args: string): string {
  const first = /^\S+/.exec(args)?.[0];
  if (!first || !command.usage) return args;
  const words = command.usage.replace(/<[^>]*>/g, ' ').split(/[^a-z-]+/).slice(1);
  const word = words.find((candidate) => candidate !== first && candidate === first.toLowerCase());
  return word ? `${word}${args.slice(first.length)}` : args;
}

/** Parses `/name args` (also `/name@botname args`, Telegram's group form) or returns undefined. */
export function parseCommand(text: string): { name: string; args: string } | undefined {
  const match = /^\/([a-zA-Z][\w-]{0,31})(?:@\S+)?(?:\s+([\s\S]*))?$/.exec(text.trim());
  if (!match) return undefined;
  return { name: (match[1] as string).toLowerCase(), args: (match[2] ?? '').trim() };
}

/**
 * "/tmp is full, what can I delete?" starts with a path, not a command: an unknown name with
 * words after it, typed in a message, is a message for the agent. A bare unknown `/word` is
 * still answered with the commands (most likely a typo of one).
 */
export function asTextUnlessCommand(message: InboundMessage, commands: CommandRegistry): InboundMessage {
  const command = message.command;
  // A platform's own slash command (Slack's `/frobnicate now`) was invoked as one.
  if (!command || message.viaSlashCommand || command.args === '' || commands.get(command.name)) return message;
  return { ...message, command: undefined };
}
