/** MCP server settings (src/config/mcp.ts): the config file, CAIRN_MCP_CONFIG's `.mcp.json`, `${VAR}`s, and what is refused. */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { ConfigError } from '../../src/core/errors.js';
import { tempDir } from '../helpers/cairn.js';
import { mcpParameters } from '../../src/tools/mcp/schema.js';

const BASE = { CAIRN_MODEL: 'm', CAIRN_BASE_URL: 'http://127.0.0.1:9/v1' };

function load(yaml: string, env: Record<string, string> = {}) {
  const dir = tempDir();
  writeFileSync(join(dir, 'cairn.yaml'), yaml);
  return loadConfig({ env: { ...BASE, ...env }, dotenv: false, cwd: dir, configPath: 'cairn.yaml' });
}

function problems(yaml: string, env: Record<string, string> = {}): string[] {
  try {
    load(yaml, env);
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}

describe('MCP server settings', () => {
  it('reads a command and a URL, puts in ${VAR}s, and masks what came from them', () => {
    const config = load(
      `mcp:
  servers:
    jira:
      command: npx
      args: [some-jira-mcp, --site, "\${JIRA_SITE:-acme}"]
      env: { JIRA_TOKEN: "\${JIRA_TOKEN}", JIRA_URL: https://acme.atlassian.net }
    docs:
      url: https://mcp.example.com/mcp
      headers: { Authorization: "Bearer \${DOCS_TOKEN}" }
      adminOnly: false
      timeoutSeconds: 20
`,
      { JIRA_TOKEN: 'jira-token-0123456789', DOCS_TOKEN: 'docs-token-abcdefghij' },
    );
    expect(config.mcpServers).toEqual([
      expect.objectContaining({ name: 'jira', transport: 'stdio', command: 'npx', args: ['some-jira-mcp', '--site', 'acme'], env: { JIRA_TOKEN: 'jira-token-0123456789', JIRA_URL: 'https://acme.atlassian.net' }, adminOnly: true, timeoutSeconds: 60, display: 'npx some-jira-mcp --site ${JIRA_SITE:-acme}' }),
      expect.objectContaining({ name: 'docs', transport: 'http', url: 'https://mcp.example.com/mcp', headers: { Authorization: 'Bearer docs-token-abcdefghij' }, adminOnly: false, timeoutSeconds: 20 }),
    ]);
    expect(config.secrets).toEqual(expect.arrayContaining(['jira-token-0123456789', 'docs-token-abcdefghij']));
    // A value that is no secret (a site name, a URL) is not masked everywhere.
    expect(config.secrets).not.toContain('acme');
  });

  it('takes a `.mcp.json` named by CAIRN_MCP_CONFIG beside the config file', () => {
    const dir = tempDir();
    writeFileSync(join(dir, '.mcp.json'), JSON.stringify({ mcpServers: { github: { type: 'http', url: 'https://api.githubcopilot.com/mcp/', headers: { Authorization: 'Bearer ${GITHUB_PAT}' } } } }));
    const config = loadConfig({ env: { ...BASE, CAIRN_MCP_CONFIG: '.mcp.json', GITHUB_PAT: 'ghp_0123456789abcdef' }, dotenv: false, cwd: dir });
    expect(config.mcpServers).toEqual([expect.objectContaining({ name: 'github', transport: 'http', headers: { Authorization: 'Bearer ghp_0123456789abcdef' }, source: `${join(dir, '.mcp.json')}: "github"` })]);
  });

  it('refuses a secret written into the file, a variable not set, a bad name, and both or neither of command and url', () => {
    expect(problems('mcp:\n  servers:\n    jira:\n      command: npx\n      env: { JIRA_API_TOKEN: abc123 }\n')).toEqual([
      'mcp.servers.jira: env "JIRA_API_TOKEN" holds its secret itself: write it as a variable, e.g. "JIRA_API_TOKEN": "${JIRA_API_TOKEN}", and set JIRA_API_TOKEN in the environment or .env (a config file is shared and committed; the environment is not).',
    ]);
    expect(problems('mcp:\n  servers:\n    docs:\n      url: https://x.example/mcp\n      headers: { Authorization: Bearer abc }\n')[0]).toContain('header "Authorization" holds its secret itself: write it as a variable, e.g. "Authorization": "Bearer ${DOCS_TOKEN}"');
    expect(problems('mcp:\n  servers:\n    docs:\n      url: https://x.example/mcp\n      headers: { Authorization: "Bearer ${DOCS_TOKEN}" }\n')).toEqual([
      'mcp.servers.docs: header "Authorization" names ${DOCS_TOKEN}, which is not set: set DOCS_TOKEN in the environment or .env (or write ${DOCS_TOKEN:-default}).',
    ]);
    expect(problems('mcp:\n  servers:\n    "my server":\n      command: x\n')[0]).toContain('"my server" cannot name a server: its tools are called my server__<tool>');
    expect(problems('mcp:\n  servers:\n    a:\n      command: x\n      url: https://x.example\n')[0]).toContain('give either "command"');
    expect(problems('mcp:\n  servers:\n    a:\n      url: https://x.example\n      type: sse\n')[0]).toContain('HTTP+SSE transport is not supported');
    // A misspelt key is named, with the key it meant.
    expect(problems('mcp:\n  servers:\n    a:\n      command: x\n      arg: [y]\n')[0]).toContain('"mcp.servers.a.arg" in');
  });
});

describe("an MCP tool's parameters", () => {
  it('writes out shared parts ($defs) and refuses recursive ones, in words', () => {
    const made = mcpParameters({ type: 'object', properties: { filter: { $ref: '#/$defs/F', description: 'Where' } }, $defs: { F: { type: 'object', properties: { label: { allOf: [{ $ref: '#/$defs/L' }], description: 'One label' } } }, L: { type: 'string', enum: ['bug'] } } });
    expect(typeof made === 'string' ? made : made.jsonSchema).toEqual({ type: 'object', properties: { filter: { type: 'object', description: 'Where', properties: { label: { type: 'string', enum: ['bug'], description: 'One label' } } } } });
    expect(mcpParameters({ type: 'object', properties: { q: { $ref: '#/$defs/N' } }, $defs: { N: { type: 'object', properties: { and: { type: 'array', items: { $ref: '#/$defs/N' } } } } } })).toBe('its parameters are recursive (#/$defs/N holds itself), which no provider\'s tool format can say');
    expect(mcpParameters({ type: 'object', properties: { at: { type: 'array', prefixItems: [{ type: 'number' }] } } })).toBe('its parameters use what some model providers refuse (parameters.at: "prefixItems")');
  });
});
