/**
 * Reads configuration once: `.env` (never overriding the real environment), an
 * optional YAML/JSON file (`--config` or CAIRN_CONFIG), then environment variables
 * on top, validated by the one zod schema. Every problem is reported at once, each
 * naming the variable (or file key) to fix; a file key no setting has is one too.
 */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { readDotenv } from './dotenv.js';
import { expandHome } from './host-path.js';
import YAML from 'yaml';
import type { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { configSchema, type ParsedConfig } from './schema.js';
import { ENV_BINDINGS, bindingForPath, convertEnvValue } from './env.js';
import { resolveProviders } from './providers.js';
import { unknownKeyProblems } from './unknown-keys.js';
import { proxySecrets, readProxyConfig, type ProxyConfig } from './proxy.js';
import { backendSecrets, hostEnvForBackends } from './backends.js';
import { resolveMcpConfig, type McpConfig } from './mcp.js';
import type { ProviderSettings } from '../model/providers.js';

export type Env = Record<string, string | undefined>;

export interface LoadOptions {
  env?: Env;
  /** Path of a YAML or JSON config file; CAIRN_CONFIG is used when absent. */
  configPath?: string | undefined;
  /** Directory `.env` and relative paths are resolved against (default: process.cwd()). */
  cwd?: string;
  /** Read `.env` from cwd (default true). */
  dotenv?: boolean;
}

export interface Config extends ParsedConfig {
  /** The model chain, primary first; empty when no model is configured. */
  providers: ProviderSettings[];
  /** Why no model is usable, as lines naming what to set; empty when one is. */
  modelProblems: string[];
  /** Model for summaries, reflection and audits (CAIRN_AUX_MODEL, else the primary model). */
  auxModel: string | undefined;
  configFile: string | undefined;
  /** Every secret value found in config, so logs can redact them. */
  secrets: string[];
  /** Host variables named by backends.passEnv, for back ends that run on this machine. */
  backendHostEnv: Record<string, string>;
  /** The outbound proxy (HTTPS_PROXY, HTTP_PROXY, NO_PROXY); see src/proxy/. */
  proxy: ProxyConfig;
  /** MCP servers, their `${VAR}`s resolved (config/mcp.ts); `mcp.secrets` are in `secrets` too. */
  mcpServers: McpConfig['servers'];
}

/** The process's own environment, which wins over `.env` (for `cairn setup`, which writes that file, and doctor's check of the names set). */
export function processEnv(): Env {
  return process.env;
}

export function loadConfig(options: LoadOptions = {}): Config {
  const cwd = options.cwd ?? process.cwd();
  const env = mergeDotenv(options.env ?? process.env, cwd, options.dotenv ?? true);
  // A leading ~ is the home directory here too: a .env file does not expand it.
  const named = options.configPath ?? nonEmpty(env.CAIRN_CONFIG);
  const configFile = named === undefined ? undefined : expandHome(named);
  const problems: string[] = [];

  const input = configFile ? readConfigFile(resolve(cwd, configFile), problems) : {};
  if (configFile) problems.push(...unknownKeyProblems(configSchema, input, resolve(cwd, configFile)));
  for (const binding of ENV_BINDINGS) {
    const raw = env[binding.name];
    if (raw === undefined || raw.trim() === '') continue;
    setPath(input, binding.path, convertEnvValue(binding.kind, raw));
  }

  const proxy = readProxyConfig(env, problems);
  const parsed = configSchema.safeParse(input);
  if (!parsed.success) {
    problems.push(...parsed.error.issues.map((issue) => describeIssue(issue, configFile)));
  }
  // Resolved here, where the environment is read: `${JIRA_TOKEN}` in a server's headers or env.
  const mcp = parsed.success ? resolveMcpConfig(parsed.data.mcp, env, cwd, problems) : undefined;
  if (problems.length > 0 || !parsed.success || !mcp) throw new ConfigError(problems);

  const config = parsed.data;
  const chain = resolveProviders(config.model, env);
  return {
    ...config,
    dataDir: resolve(cwd, config.dataDir),
    skills: { ...config.skills, dirs: config.skills.dirs.map((dir) => resolve(cwd, dir)) },
    tools: { ...config.tools, modules: config.tools.modules.map((path) => resolve(cwd, path)) },
    providers: chain.providers,
    modelProblems: chain.problems,
    auxModel: config.model.auxModel ?? chain.providers[0]?.model,
    configFile: configFile ? resolve(cwd, configFile) : undefined,
    secrets: [
      ...chain.providers.map((p) => p.apiKey),
      ...[config.platforms.telegram.botToken, config.platforms.telegram.webhookSecret, config.platforms.slack.botToken, config.platforms.slack.appToken, config.platforms.slack.signingSecret, config.platforms.discord.token],
      ...backendSecrets(config.backends),
      config.web.search.apiKey,
      config.metrics.token,
      ...proxySecrets(proxy),
      ...mcp.secrets,
    ].filter((secret): secret is string => secret !== undefined && secret.length >= 8),
    backendHostEnv: hostEnvForBackends(env, config.backends.passEnv),
    proxy,
    mcpServers: mcp.servers,
  };
}

/** Throws the "what to set" message when no model is configured. */
export function requireModel(config: Config): void {
  if (config.providers.length === 0) throw new ConfigError(config.modelProblems);
}

function mergeDotenv(env: Env, cwd: string, useDotenv: boolean): Env {
  const path = resolve(cwd, '.env');
  if (!useDotenv || !existsSync(path)) return env;
  const fromFile = readDotenv(path);
  return { ...fromFile, ...env };
}

function readConfigFile(path: string, problems: string[]): Record<string, unknown> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    problems.push(`Config file ${path} cannot be read: check the path given to --config or CAIRN_CONFIG.`);
    return {};
  }
  try {
    // YAML is a superset of JSON, so one parser reads both. Merge keys (`<<: *defaults`) are how YAML shares settings between entries.
    const value: unknown = YAML.parse(text, { merge: true });
    if (value === null || value === undefined) return {};
    if (typeof value !== 'object' || Array.isArray(value)) {
      problems.push(`Config file ${path} must hold a mapping of settings at the top level.`);
      return {};
    }
    return withoutNulls(value) as Record<string, unknown>;
  } catch (error) {
    // The first line says what and where ("… at line 2, column 1:"); the excerpt after it is dropped.
    problems.push(`Config file ${path} is not valid YAML or JSON: ${(error as Error).message.split('\n')[0]?.replace(/:$/, '.')}`);
    return {};
  }
}

/**
 * The file's settings with empty ones left out: a key with nothing after it (`telegram:` whose
 * settings are all commented out) is YAML null, which means "not set" to a person, and refusing
 * it ("expected object, received null") refused a file that says nothing.
 */
function withoutNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutNulls);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).flatMap(([key, inner]) => (inner === null ? [] : [[key, withoutNulls(inner)]])));
}

function describeIssue(issue: z.core.$ZodIssue, configFile: string | undefined): string {
  // An item of a list (`skills.dirs.0`) is its list's variable's to fix.
  const inList = typeof issue.path.at(-1) === 'number' ? bindingForPath(issue.path.slice(0, -1)) : undefined;
  const binding = bindingForPath(issue.path) ?? (inList?.kind === 'list' ? inList : undefined);
  const key = issue.path.join('.');
  const where = binding
    ? `${binding.name}${configFile ? ` (or "${key}" in ${configFile})` : ''}`
    : `"${key || '(top level)'}" in ${configFile ?? 'the config file'}`;
  // A list variable always gives a list: one that is not came from the file, where "Comma-separated …" alone misled.
  const listInFile = binding?.kind === 'list' && issue.code === 'invalid_type' && issue.expected === 'array' ? ' In the config file write a list, e.g. [a, b]; the variable takes the items comma-separated.' : '';
  const hint = binding ? `${listInFile} ${binding.help}` : '';
  return `${where}: ${issue.message}.${hint}`;
}

function setPath(target: Record<string, unknown>, path: readonly string[], value: unknown): void {
  let node = target;
  for (const key of path.slice(0, -1)) {
    const next = node[key];
    if (typeof next !== 'object' || next === null || Array.isArray(next)) node[key] = {};
    node = node[key] as Record<string, unknown>;
  }
  const last = path[path.length - 1];
  if (last !== undefined) node[last] = value;
}

function nonEmpty(value: string | undefined): string | undefined {
  return value && value.trim() !== '' ? value.trim() : undefined;
}
