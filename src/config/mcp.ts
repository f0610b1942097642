/**
 * Settings of the MCP servers whose tools Cairn offers (src/tools/mcp): `mcp.servers` in the config file,
 * and CAIRN_MCP_CONFIG, a JSON or YAML file in the `mcpServers` shape Claude Desktop, Claude Code
 * (`.mcp.json`) and Cursor read, so a team can point Cairn at the file it already keeps.
 *
 * Each server is a command Cairn starts (stdio: `command`, `args`, `env`, `cwd`) or a Streamable HTTP
 * address (`url`, `headers`). Secrets come from variables, as `${JIRA_TOKEN}` (or `${VAR:-default}`),
 * resolved here once: a literal value under a name that looks secret (a token, a key, Authorization) is
 * refused, since a config file is committed and shared where `.env` and the environment are not; every
 * value read from a variable is masked in logs, doctor and what the model reads (config.secrets).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import type { EnvBinding } from './env.js';
import { expandHome } from './host-path.js';

export const DEFAULT_MCP_TIMEOUT_SECONDS = 60;
export const MAX_MCP_TIMEOUT_SECONDS = 3600;

/** One server as written: a command or a URL (checked below; one object so a misspelt key gets "did you mean"). */
/** Which of a server's calls wait for a yes (see `approval`). */
export const MCP_APPROVALS = ['destructive', 'all', 'none'] as const;

const serverSchema = z.object({
  /** `stdio` (with command) or `http` / `streamable-http` (with url); read from what is given when left out. */
  type: z.enum(['stdio', 'http', 'streamable-http', 'sse']).optional(),
  command: z.string().min(1).optional(),
  args: z.array(z.string()).default([]),
  env: z.record(z.string(), z.string()).default({}),
  cwd: z.string().min(1).optional(),
  url: z.string().min(1).optional(),
  headers: z.record(z.string(), z.string()).default({}),
  /** Its tools are offered to admins only (the default): false offers them to everyone allowed to talk to Cairn. */
  adminOnly: z.boolean().default(true),
  /** Longest one call may take before it is cancelled and the model told it timed out. */
  timeoutSeconds: z.number().positive().max(MAX_MCP_TIMEOUT_SECONDS).default(DEFAULT_MCP_TIMEOUT_SECONDS),
  /**
   * Which calls wait for a person's yes (tools/mcp/approval.ts): `destructive` (the default) those the server does not
   * mark read-only or harmless, `all`, or `none`. Only the operator relaxes it: the server's hints are its author's word.
   */
  approval: z.enum(MCP_APPROVALS).default('destructive'),
  /** Whose yes: the person whose message led to the call (the default), or an admin's. */
  approvedBy: z.enum(['caller', 'admin']).default('caller'),
});

/** A server name becomes the first part of its tools' names (`jira__search`): short, and what providers take in a name. */
const SERVER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_-]{0,29}$/;

export const mcpSchema = z
  .object({
    /** The servers, by the name their tools carry. */
    servers: z.record(z.string(), serverSchema).default({}),
    /** A file of servers in the `mcpServers` shape (`.mcp.json`), added to `servers`. */
    configFile: z.string().min(1).optional(),
  })
  .prefault({});

export type McpSettings = z.output<typeof mcpSchema>;
type ServerInput = z.output<typeof serverSchema>;

interface Common {
  name: string;
  adminOnly: boolean;
  approval: (typeof MCP_APPROVALS)[number];
  approvedBy: 'caller' | 'admin';
  timeoutSeconds: number;
  /** Where it was set, for messages: `mcp.servers.jira` or the file. */
  source: string;
  /** How it is reached, with secrets masked: `npx some-jira-mcp` or the URL. */
  display: string;
}
export type McpServerConfig =
  | (Common & { transport: 'stdio'; command: string; args: string[]; env: Record<string, string>; cwd: string | undefined })
  | (Common & { transport: 'http'; url: string; headers: Record<string, string> });

export interface McpConfig {
  servers: McpServerConfig[];
  /** Every value read from a variable (tokens in headers and env), masked wherever Cairn writes. */
  secrets: string[];
}

export const MCP_ENV_BINDINGS: readonly EnvBinding[] = [
  {
    name: 'CAIRN_MCP_CONFIG',
    path: ['mcp', 'configFile'],
    kind: 'string',
    help: 'A JSON or YAML file of MCP servers in the `mcpServers` shape of `.mcp.json` (command/args/env/cwd, or url/headers; secrets as "${VAR}"), added to mcp.servers; their tools are offered as <server>__<tool>.',
  },
];

/** A name that holds a secret when it holds anything (an env variable or a header). */
const SECRET_NAME = /token|secret|passw|key|auth|credential|cookie|session/i;
const REFERENCE = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/** The servers with their variables resolved, or the problems (each naming what to write) added to `problems`. */
export function resolveMcpConfig(settings: McpSettings, env: Record<string, string | undefined>, cwd: string, problems: string[]): McpConfig {
  const entries: [string, ServerInput, string][] = Object.entries(settings.servers).map(([name, server]) => [name, server, `mcp.servers.${name}`]);
  if (settings.configFile) entries.push(...readServersFile(resolve(cwd, expandHome(settings.configFile)), problems));
  const secrets: string[] = [];
  const servers: McpServerConfig[] = [];
  const names = new Set<string>();
  for (const [name, server, source] of entries) {
    const before = problems.length;
    const say = (text: string) => problems.push(`${source}: ${text}`);
    if (!SERVER_NAME.test(name) || name.includes('__')) say(`"${name}" cannot name a server: its tools are called ${name}__<tool>, so use letters, digits, - and single _ only, at most 30 (e.g. "${name.replace(/[^a-zA-Z0-9-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 30) || 'jira'}").`);
    if (names.has(name.toLowerCase())) say(`a server named "${name}" is already configured (in mcp.servers or CAIRN_MCP_CONFIG): give each its own name.`);
    names.add(name.toLowerCase());
    const read = (value: string, where: string, key = '') => expand(value, env, key === 'header' || SECRET_NAME.test(key), secrets, (variable) => say(`${where} names \${${variable}}, which is not set: set ${variable} in the environment or .env (or write \${${variable}:-default}).`));
    const literalSecret = (values: Record<string, string>, kind: string) => {
      for (const [key, value] of Object.entries(values)) {
        if (SECRET_NAME.test(key) && value !== '' && !/\$\{[A-Za-z_]/.test(value)) say(`${kind} "${key}" holds its secret itself: write it as a variable, e.g. "${key}": "${kind === 'header' ? 'Bearer ' : ''}\${${envName(name, key)}}", and set ${envName(name, key)} in the environment or .env (a config file is shared and committed; the environment is not).`);
      }
    };
    const common = { name, adminOnly: server.adminOnly, approval: server.approval, approvedBy: server.approvedBy, timeoutSeconds: server.timeoutSeconds, source };
    if (server.type === 'sse') say('the older HTTP+SSE transport is not supported: most servers also serve Streamable HTTP (often at /mcp); write its url with type "http".');
    else if ((server.command === undefined) === (server.url === undefined)) say('give either "command" (a server Cairn starts, e.g. "npx") or "url" (a Streamable HTTP server), not both.');
    else if (server.command !== undefined) {
      if (server.type !== undefined && server.type !== 'stdio') say(`"type" is ${server.type} but "command" is given: a command is a stdio server (type "stdio", or leave type out).`);
      if (Object.keys(server.headers).length > 0) say('"headers" go with a url; a command gets its secrets through "env".');
      literalSecret(server.env, 'env');
      const command = read(server.command, 'command');
      const args = server.args.map((arg) => read(arg, 'args'));
      const envValues = Object.fromEntries(Object.entries(server.env).map(([key, value]) => [key, read(value, `env "${key}"`, key)]));
      const folder = server.cwd === undefined ? undefined : resolve(cwd, expandHome(read(server.cwd, 'cwd')));
      if (problems.length === before) servers.push({ ...common, transport: 'stdio', command, args, env: envValues, cwd: folder, display: [server.command, ...server.args].join(' ') });
    } else if (server.url !== undefined) {
      if (server.type === 'stdio') say('"type" is stdio but "url" is given: a url is an http server (type "http", or leave type out).');
      if (server.args.length > 0 || Object.keys(server.env).length > 0 || server.cwd !== undefined) say('"args", "env" and "cwd" go with a command; a url gets its secrets through "headers".');
      literalSecret(server.headers, 'header');
      const url = read(server.url, 'url');
      let parsed: URL | undefined;
      try {
        parsed = new URL(url);
      } catch {
        say(`"url" ${JSON.stringify(server.url)} is not a URL: write it whole, e.g. https://mcp.example.com/mcp.`);
      }
      if (parsed && parsed.protocol !== 'http:' && parsed.protocol !== 'https:') say(`"url" must start with https:// (or http://), not ${parsed.protocol}`);
      if (parsed && (parsed.username !== '' || parsed.password !== '')) say('"url" carries a user and password: send them in a header ("Authorization": "Basic ${VAR}") instead.');
      const headers = Object.fromEntries(Object.entries(server.headers).map(([key, value]) => [key, read(value, `header "${key}"`, 'header')]));
      if (problems.length === before) servers.push({ ...common, transport: 'http', url, headers, display: server.url });
    }
  }
  return { servers, secrets: [...new Set(secrets)] };
}

/**
 * `value` with each `${VAR}` put in. What is read for a header, a secret-looking env name, or from a secret-looking
 * variable is kept in `secrets` (masked everywhere); not every value is (`${HOME}` masked would hide paths in every log).
 */
function expand(value: string, env: Record<string, string | undefined>, secretKey: boolean, secrets: string[], unset: (variable: string) => void): string {
  return value.replace(REFERENCE, (_whole, variable: string, fallback: string | undefined) => {
    const found = env[variable];
    if (found !== undefined && found !== '') {
      if (secretKey || SECRET_NAME.test(variable)) secrets.push(found);
      return found;
    }
    if (fallback !== undefined) return fallback;
    unset(variable);
    return '';
  });
}

function envName(server: string, key: string): string {
  const upper = key.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  return upper === 'AUTHORIZATION' ? `${server.toUpperCase().replace(/[^A-Z0-9]+/g, '_')}_TOKEN` : upper;
}

/** The servers of a `.mcp.json`-shaped file (`{ "mcpServers": { … } }`, or `{ "servers": { … } }` as VS Code writes it). */
function readServersFile(path: string, problems: string[]): [string, ServerInput, string][] {
  let value: unknown;
  try {
    value = YAML.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    problems.push(`CAIRN_MCP_CONFIG: ${code === 'ENOENT' ? `${path} does not exist` : `${path} is not valid JSON or YAML (${(error as Error).message.split('\n')[0]})`}: write the path of a file like .mcp.json, { "mcpServers": { "jira": { "command": "npx", "args": ["some-jira-mcp"] } } }.`);
    return [];
  }
  const record = typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
  const servers = record.mcpServers ?? record.servers;
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers)) {
    problems.push(`CAIRN_MCP_CONFIG: ${path} has no "mcpServers" mapping: write { "mcpServers": { "<name>": { "command": …, "args": […] } } }.`);
    return [];
  }
  return Object.entries(servers as Record<string, unknown>).flatMap(([name, server]): [string, ServerInput, string][] => {
    const parsed = serverSchema.strict().safeParse(server);
    if (parsed.success) return [[name, parsed.data, `${path}: "${name}"`]];
    problems.push(...parsed.error.issues.map((issue) => `CAIRN_MCP_CONFIG: ${path}: "${[name, ...issue.path].join('.')}": ${issue.message}.`));
    return [];
  });
}
