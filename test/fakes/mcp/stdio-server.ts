// A fake MCP server over stdio for the tests: node --experimental-strip-types test/fakes/mcp/stdio-server.ts
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { registerFakeTools } from './fake-tools.ts';

const server = new McpServer({ name: 'fake-stdio', version: '1.0.0' });
registerFakeTools(server, {
  onCrash: () => setTimeout(() => process.exit(3), 20),
  oddlyNamedTool: true,
});
// A well-behaved stdio server leaves when its client hangs up, even with work in flight.
process.stdin.on('end', () => process.exit(0));

// Lets a test count how often the server was started (each start appends a line).
const startLog = process.env.FAKE_MCP_START_LOG;
if (startLog) {
  const { appendFileSync } = await import('node:fs');
  appendFileSync(startLog, `${process.pid}\n`);
}

await server.connect(new StdioServerTransport());
