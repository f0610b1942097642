/**
 * The MCP servers of a built Cairn, connected (./index.ts). The SDK takes about a second to load, so it is
 * loaded here only when a server is configured: a Cairn without MCP servers never pays for it.
 */
import type { Cairn } from '../../cairn-types.js';
import { KeptFiles } from '../../core/kept-files.js';
import { systemTimers, type Timers } from '../../backends/timers.js';
import type { McpServers } from './index.js';

/** Undefined when none is configured; `cairn start` and `cairn chat` close what this returns when they stop. */
export async function connectMcpServers(cairn: Pick<Cairn, 'config' | 'tools' | 'logger' | 'clock' | 'db'>, timers: Timers = systemTimers): Promise<McpServers | undefined> {
  const { config } = cairn;
  if (config.mcpServers.length === 0) return undefined;
  const { McpServers } = await import('./index.js');
  const days = config.agent.keepFilesDays;
  const keptFiles = days > 0 ? new KeptFiles(cairn.db, cairn.clock, days) : undefined;
  const servers = new McpServers(config.mcpServers, cairn.tools, { logger: cairn.logger, timers, clock: cairn.clock, proxy: config.proxy, secrets: config.secrets, keptFiles });
  await servers.connectAll();
  return servers;
}
