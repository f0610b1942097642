/**
 * Which calls of an MCP server's tools wait for a person's yes (the registry's hold, `Tool.needsApproval`). A team
 * connecting its tracker's server gave the model "delete_project" as freely as "search_issues". By the server's
 * `approval` setting: `destructive` (the default) holds every tool the server does not mark read-only
 * (`readOnlyHint`) or harmless (`destructiveHint: false`), since the MCP spec's defaults for a tool it says nothing
 * of are "may change things, destructively"; `all` holds every call, `none` none. The hints are the server
 * author's word, so they only ever lift the hold where the operator left it at `destructive`.
 */
import type { McpServerConfig } from '../../config/mcp.js';
import type { McpToolAnnotations } from './connection.js';

/** Why a call of the tool `tool` (the server's name for it) waits for a yes, or false when it does not. */
export function mcpApprovalNeed(server: Pick<McpServerConfig, 'name' | 'approval'>, tool: string, hints: McpToolAnnotations | undefined): string | false {
  if (server.approval === 'none') return false;
  if (server.approval === 'all') return `every call of the MCP server ${server.name}'s tools waits for a yes (its approval setting is "all")`;
  if (hints?.readOnlyHint === true || hints?.destructiveHint === false) return false;
  return hints?.destructiveHint === true
    ? `the MCP server ${server.name} marks ${tool} as one that may delete or overwrite things`
    : `the MCP server ${server.name} does not say that ${tool} only reads`;
}
