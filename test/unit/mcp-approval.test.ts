import { describe, expect, it } from 'vitest';
import { mcpApprovalNeed } from '../../src/tools/mcp/approval.js';

describe('which MCP calls wait for a yes', () => {
  const server = (approval: 'destructive' | 'all' | 'none') => ({ name: 'jira', approval });

  it('by default, every tool the server does not mark read-only or harmless', () => {
    expect(mcpApprovalNeed(server('destructive'), 'search', { readOnlyHint: true })).toBe(false);
    expect(mcpApprovalNeed(server('destructive'), 'comment', { destructiveHint: false })).toBe(false);
    expect(mcpApprovalNeed(server('destructive'), 'delete', { destructiveHint: true })).toBe('the MCP server jira marks delete as one that may delete or overwrite things');
    // The spec's defaults for a tool it says nothing of: it may change things.
    expect(mcpApprovalNeed(server('destructive'), 'stats', undefined)).toBe('the MCP server jira does not say that stats only reads');
  });

  it('"all" holds even what the server calls read-only (its hints are its author\'s word); "none" holds nothing', () => {
    expect(mcpApprovalNeed(server('all'), 'search', { readOnlyHint: true })).toMatch(/^every call of the MCP server jira's tools waits/);
    expect(mcpApprovalNeed(server('none'), 'delete', { destructiveHint: true })).toBe(false);
  });
});
