/**
 * `cairn tools`: for whoever writes a tool module. `check` loads the modules (those CAIRN_TOOL_MODULES
 * names, or the files given) and checks each tool as `cairn start` does, listing what the model will
 * be offered; `run` calls one tool once as the model would (its arguments checked by its parameters,
 * its time limit, its result cut and masked) and prints what the model would read; a call that waits for a yes
 * (needsApproval) is shown and not run unless --yes says it. Each run loads the
 * module afresh, so an edit shows at once here; a running Cairn takes it at its next start. An MCP server's
 * tool (`<server>__<tool>`) is called the same way, its server connected to for the one call
 * (tools/mcp/run-once.ts) and closed after it.
 */
import { userInfo } from 'node:os';
import { resolve } from 'node:path';
import type { Config } from '../config/load.js';
import { CairnError } from '../core/errors.js';
import { loggerFor } from '../core/logger.js';
import { ToolRegistry, type ApprovalAsk } from '../tools/registry.js';
import { loadToolModules, registerCustomTools, type LoadedTool } from '../tools/custom/index.js';
import { mcpServerLines } from '../tools/mcp/check.js';
import { connectForTool, mcpServerOf } from '../tools/mcp/run-once.js';
import type { CommandGroup } from './context.js';

export const toolsCommands: CommandGroup = ({ program, config, print }) => {
  const tools = program.command('tools').description('check and try the tools your own modules add (CAIRN_TOOL_MODULES)');
  tools
    .command('check')
    .description('load the tool modules (CAIRN_TOOL_MODULES, or the files and folders given) and check each tool as `cairn start` does')
    .argument('[paths...]', 'modules or folders to check instead of those CAIRN_TOOL_MODULES names')
    .action(async (paths: string[]) => {
      const loaded = await load(config(), paths);
      // The MCP servers' tools are listed first, unless paths name modules to check (tools/mcp/check.ts).
      const servers = paths.length === 0 ? await mcpServerLines(config()) : { lines: [], ok: true };
      for (const line of servers.lines) print(line);
      if (!servers.ok) process.exitCode = 1;
      if (loaded === undefined) return servers.lines.length > 0 ? undefined : print(NONE);
      print(`${loaded.length} tool${loaded.length === 1 ? '' : 's'}, as \`cairn start\` would offer ${loaded.length === 1 ? 'it' : 'them'}:`);
      for (const tool of loaded) {
        print(`✓ ${tool.name} (${tool.adminOnly ? 'admins only' : 'everyone'}${tool.private ? ', private to who asked' : ''}${approvalOf(tool)}; ${tool.timeoutSeconds} s limit) from ${tool.file}`);
        print(`    ${tool.description.split('\n')[0]}`);
        print(`    arguments: ${describeArguments(tool.jsonSchema)}`);
      }
      print('A running Cairn loads its modules at its start: restart it for an edit to take effect. `cairn tools run <name> \'{…}\'` tries one.');
    });
  tools
    .command('run')
    .description("call one tool once, as the model would, and print what the model would read (an MCP server's tool, <server>__<tool>: that server is connected to for the call)")
    .argument('<name>', 'the tool to call')
    .argument('[arguments]', 'its arguments as a JSON object', '{}')
    .option('-m, --module <path>', 'load this module (or folder) instead of those CAIRN_TOOL_MODULES names')
    .option('-u, --user <id>', 'who calls it, as at `cairn chat` (default: your OS user name)')
    .option('--not-admin', 'call it as someone who is not an admin')
    .option('-y, --yes', 'say yes for a call that waits for one (needsApproval): without it, such a call is shown and not run')
    .action(async (name: string, json: string, options: { module?: string; user?: string; notAdmin?: boolean; yes?: boolean }) => {
      const settings = config();
      const registry = new ToolRegistry();
      const logger = loggerFor(settings, 'warn');
      // An MCP server's tool (`<server>__<tool>`, no --module): that server connected as `cairn start` would, closed after the call.
      let close = async (): Promise<void> => {};
      if (options.module === undefined && mcpServerOf(settings, name)) close = await connectForTool(settings, name, registry, logger);
      else {
        const loaded = await load(settings, options.module === undefined ? [] : [options.module]);
        const servers = settings.mcpServers.length > 0 ? ` An MCP server's tool is named <server>__<tool> (${settings.mcpServers.map((server) => `${server.name}__…`).join(', ')}).` : '';
        if (loaded === undefined) throw new CairnError('invalid_input', servers === '' ? NONE : `No tool module or MCP server offers "${name}".${servers}`);
        if (!loaded.some((tool) => tool.name === name)) throw new CairnError('invalid_input', `No tool module adds a tool named "${name}"; they add: ${loaded.map((tool) => tool.name).join(', ')}.${servers}`);
        registerCustomTools(registry, loaded, { logger, secrets: settings.secrets });
      }
      // Whoever types the command asks for the call: --yes is their yes. Without it, what a chat would ask is shown.
      let held: ApprovalAsk | undefined;
      registry.holdWith(async (ask) => {
        held = ask;
        return options.yes ? undefined : 'not run: it waits for a yes (--yes)';
      });
      const user = options.user ?? osUser();
      const stop = new AbortController();
      const onInterrupt = () => stop.abort(new CairnError('aborted', 'Stopped (Ctrl-C).'));
      process.once('SIGINT', onInterrupt);
      try {
        const isAdmin = options.notAdmin !== true;
        const at = Date.now();
        const context = { sessionId: 'cairn-tools-run', conversationId: `console:${user}`, userId: `console:${user}`, platform: 'console', isAdmin, signal: stop.signal, now: () => at, sender: { identity: `console:${user}`, id: user, name: user, isDirect: true } };
        const outcome = await registry.execute({ id: 'call_1', name, arguments: json }, context);
        if (held && !options.yes) {
          process.exitCode = 1;
          return print(`${name} waits for a yes before it runs${held.reason === undefined ? '' : ` (${held.reason})`}: in a chat, ${held.approvedBy === 'admin' ? 'an admin' : 'the person who asked'} is asked, with Yes and No buttons. Nothing was run: add --yes to run it.`);
        }
        if (held) print(`(${name} waits for a yes before it runs${held.reason === undefined ? '' : ` (${held.reason})`}; --yes gave it.)`);
        print(outcome.ok ? `✓ ${name} returned (as the model reads it):` : `✗ ${name} failed (${outcome.error}); the model would read:`);
        print(outcome.content);
        if (!outcome.ok) process.exitCode = 1;
      } finally {
        process.removeListener('SIGINT', onInterrupt);
        await close();
      }
    });
};

const NONE = 'No tool modules: set CAIRN_TOOL_MODULES (or "tools.modules" in the config file) to your module files or a folder of them, or name them here (`cairn tools check ./tools`).';

/** The tools of the modules given, else of those configured; undefined when there are none to load. */
async function load(config: Config, paths: readonly string[]): Promise<LoadedTool[] | undefined> {
  const given = paths.map((path) => resolve(path));
  const modules = given.length > 0 ? given : config.tools.modules;
  if (modules.length === 0) return undefined;
  return loadToolModules(modules, given.length > 0 ? { source: 'cairn tools' } : {});
}

/** Whether a tool's calls wait for a yes, and whose. */
function approvalOf(tool: LoadedTool): string {
  if (tool.needsApproval === false) return '';
  const whose = tool.approvedBy === 'admin' ? "an admin's" : "the caller's";
  return tool.needsApproval === true ? `, each call waits for ${whose} yes` : `, calls its needsApproval picks wait for ${whose} yes`;
}

/** `orderId (string, required), verbose (boolean)`: the parameters' names, types and which are required. */
function describeArguments(schema: Record<string, unknown>): string {
  const properties = (schema.properties ?? {}) as Record<string, Record<string, unknown>>;
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const names = Object.keys(properties);
  if (names.length === 0) return 'none';
  return names.map((name) => `${name} (${typeof properties[name]?.type === 'string' ? properties[name].type : 'any'}${required.has(name) ? ', required' : ''})`).join(', ');
}

function osUser(): string {
  try {
    return userInfo().username || 'local';
  } catch {
    return 'local';
  }
}
