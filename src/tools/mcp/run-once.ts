/**
 * One MCP tool for `cairn tools run <server>__<tool>`: the server whose name begins the tool's is connected to
 * as `cairn start` would (its command started, its URL asked with its headers, within the start's time
 * limit), its tools registered as they would be offered, and closed again after the one call. No files are
 * kept here (no database is opened): an image the tool returns is named, not kept.
 */
import type { Config } from '../../config/load.js';
import { systemClock } from '../../core/clock.js';
import { CairnError } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { systemTimers } from '../../backends/timers.js';
import type { ToolRegistry } from '../registry.js';

/** The configured server that would offer `tool` (`<server>__…`), if any. */
export function mcpServerOf(config: Config, tool: string): Config['mcpServers'][number] | undefined {
  return config.mcpServers.find((server) => tool.startsWith(`${server.name}__`));
}

/** Connects the server offering `tool` into `registry`; throws (with what it offers instead) where it cannot. Returns the close. */
export async function connectForTool(config: Config, tool: string, registry: ToolRegistry, logger: Logger): Promise<() => Promise<void>> {
  const server = mcpServerOf(config, tool);
  if (!server) throw new CairnError('invalid_input', `No MCP server is named by "${tool}": an MCP tool is called as <server>__<tool>, and the servers are ${config.mcpServers.map((one) => one.name).join(', ') || 'none'}.`);
  // The SDK is loaded only where a server is configured (./connect.ts says why).
  const { McpServers } = await import('./index.js');
  const servers = new McpServers([server], registry, { logger, timers: systemTimers, clock: systemClock, proxy: config.proxy, secrets: config.secrets });
  const close = () => servers.close();
  try {
    await servers.connectAll();
    const [report] = servers.reports();
    if (report?.state !== 'connected') {
      throw new CairnError('unavailable', `The MCP server "${server.name}" could not be reached (${report?.display ?? server.name}): ${report?.problem ?? 'no answer'}. \`cairn tools check\` shows each server.`);
    }
    if (!registry.names().includes(tool)) {
      const skipped = report.skipped.find((left) => tool === `${server.name}__${left.tool.replace(/[^a-zA-Z0-9_-]/g, '_')}`);
      if (skipped) throw new CairnError('invalid_input', `${tool} is left out: ${skipped.why}.`);
      throw new CairnError('invalid_input', `The MCP server "${server.name}" offers no tool ${tool}; it offers: ${report.tools.map((one) => one.name).join(', ') || 'none'}.`);
    }
    return close;
  } catch (error) {
    await close();
    throw error;
  }
}
