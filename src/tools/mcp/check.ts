/**
 * The MCP servers as `cairn doctor` and `cairn tools check` show them: each connected to as `cairn start`
 * would (its command started, its URL asked with its headers), its tools listed as they would be offered
 * (and those left out, with why), then closed again. Secrets are masked as in the log.
 */
import type { Config } from '../../config/load.js';
import { systemClock } from '../../core/clock.js';
import { createLogger } from '../../core/logger.js';
import { systemTimers } from '../../backends/timers.js';
import { ToolRegistry } from '../registry.js';
import type { McpServerReport } from './index.js';

/** Shorter than the start's 30 s: doctor runs its checks side by side, and a person waits for it. */
const CHECK_TIMEOUT_MS = 20_000;

/** Each configured server, connected to, listed and closed. */
export async function checkMcpServers(config: Config, limitMs = CHECK_TIMEOUT_MS): Promise<McpServerReport[]> {
  if (config.mcpServers.length === 0) return [];
  // The SDK is loaded only where a server is configured (./connect.ts says why).
  const { McpServers } = await import('./index.js');
  const silent = createLogger({ level: 'silent', secrets: config.secrets });
  const servers = new McpServers(config.mcpServers, new ToolRegistry(), { logger: silent, timers: systemTimers, clock: systemClock, proxy: config.proxy, secrets: config.secrets });
  try {
    await servers.connectAll(limitMs);
    return servers.reports();
  } finally {
    await servers.close();
  }
}

/** One server in a sentence: how it is reached, its state, the tools offered and to whom, those left out. */
export function describeMcpServer(report: McpServerReport): string {
  const how = `${report.transport === 'stdio' ? 'started as' : 'at'} ${report.display}`;
  if (report.state !== 'connected') {
    return `could not be reached (${how}): ${report.problem ?? 'no answer'}. \`cairn start\` runs without its tools and tries it again in the background; check the ${report.transport === 'stdio' ? 'command, its arguments and env' : 'URL and headers'} and the variables they name.`;
  }
  const names = report.tools.map((tool) => tool.name);
  const offered = `${names.length} tool${names.length === 1 ? '' : 's'} for ${report.adminOnly ? 'admins only (adminOnly: false offers them to everyone)' : 'everyone'}: ${names.join(', ') || 'none'}`;
  const left = report.skipped.map(({ tool, why }) => `${tool} (${why})`);
  return `connected (${report.serverVersion ?? 'unnamed server'}, ${how}): ${offered}${left.length > 0 ? `; left out: ${left.join('; ')}` : ''}.`;
}

/** What `cairn tools check` prints for the servers, and whether every one answered. */
export async function mcpServerLines(config: Config): Promise<{ lines: string[]; ok: boolean }> {
  const reports = await checkMcpServers(config);
  const lines = reports.length === 0 ? [] : [`${reports.length} MCP server${reports.length === 1 ? '' : 's'} (mcp.servers, CAIRN_MCP_CONFIG), as \`cairn start\` would connect to ${reports.length === 1 ? 'it' : 'them'}:`];
  for (const report of reports) {
    lines.push(`${report.state === 'connected' ? '✓' : '✗'} ${report.name}: ${describeMcpServer(report)}`);
    for (const tool of report.tools) lines.push(`    ${tool.name}: ${tool.description.split('\n')[0]}${hints(tool.mcp.annotations)}${tool.needsApproval ? ' (each call waits for a yes)' : ''}${tool.mcp.descriptionCutFrom === undefined ? '' : ` (description cut from ${tool.mcp.descriptionCutFrom.toLocaleString('en-US')} to ${tool.description.length.toLocaleString('en-US')} characters: it goes with every turn)`}`);
  }
  return { lines, ok: reports.every((report) => report.state === 'connected') };
}

/** The server's own hints, shown as it gave them (they are not checked). */
function hints(annotations: { readOnlyHint?: boolean | undefined; destructiveHint?: boolean | undefined }): string {
  const said = [annotations.readOnlyHint === true ? 'read-only' : undefined, annotations.destructiveHint === true ? 'destructive' : annotations.destructiveHint === false ? 'not destructive' : undefined].filter(Boolean);
  return said.length > 0 ? ` [the server says: ${said.join(', ')}]` : '';
}
