/** `cairn doctor`'s look at the tool modules (CAIRN_TOOL_MODULES): each loads and its tools pass the start's checks. */
import type { Config } from '../config/load.js';
import { ConfigError } from '../core/errors.js';
import { loadToolModules } from '../tools/custom/index.js';
import { checkMcpServers, describeMcpServer } from '../tools/mcp/check.js';
import type { CheckResult } from './doctor.js';

/** Each MCP server (mcp.servers, CAIRN_MCP_CONFIG): connected to as `cairn start` would, its tools listed; one down is ✗. */
export async function checkMcp(config: Config): Promise<CheckResult[]> {
  const reports = await checkMcpServers(config);
  return reports.map((report) => ({ name: `MCP server ${report.name}`, ok: report.state === 'connected', detail: describeMcpServer(report) }));
}

export async function checkToolModules(config: Config): Promise<CheckResult[]> {
  if (config.tools.modules.length === 0) return [];
  try {
    const loaded = await loadToolModules(config.tools.modules);
    const tools = loaded.map((tool) => `${tool.name} (${tool.adminOnly ? 'admins only' : 'everyone'}, from ${tool.file})`);
    return [{ name: 'tool modules', ok: true, detail: `${tools.length} tool${tools.length === 1 ? '' : 's'} added: ${tools.join('; ')}. They load at the start: restart Cairn after editing a module.` }];
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return [{ name: 'tool modules', ok: false, detail: `\`cairn start\` refuses to start until this is fixed: ${error.problems.join(' ')}` }];
  }
}
