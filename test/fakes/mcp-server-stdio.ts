/**
 * The fake tracker (./mcp-server.ts) as a stdio MCP server, the way `npx some-jira-mcp` runs: Cairn starts it as a
 * child process (`node --import tsx test/fakes/mcp-server-stdio.ts`) with TRACKER_TOKEN in its env. Without the
 * token it says so on stderr and exits, as a real server does; the `crash` tool ends the process.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { trackerServer, trackerState } from './mcp-server.js';

const token = process.env.TRACKER_TOKEN;
if (!token) {
  process.stderr.write('error: TRACKER_TOKEN is not set\n');
  process.exit(1);
}
// Only what the client passed reaches here: Cairn's own keys must not.
process.stderr.write(`tracker ready; CAIRN_API_KEY ${process.env.CAIRN_API_KEY === undefined ? 'absent' : 'present'}\n`);
const server = trackerServer(trackerState(token), () => setImmediate(() => process.exit(3)));
await server.connect(new StdioServerTransport());
