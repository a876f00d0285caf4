import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { registerFakeTools } from './fake-tools.ts';

export interface FakeHttpMcpServer {
  url: string;
  /** Requests refused for a wrong or missing Authorization header. */
  unauthorized: number;
  close(): Promise<void>;
}

/**
 * A stateless Streamable HTTP MCP server on loopback (a fresh McpServer per request, as the SDK's
 * stateless example does), requiring `Authorization: Bearer <token>`.
 */
export async function startFakeHttpMcpServer(options: { token: string; port?: number }): Promise<FakeHttpMcpServer> {
  const state = { unauthorized: 0 };
  const httpServer: Server = createServer(async (request, response) => {
    if (request.headers.authorization !== `Bearer ${options.token}`) {
      state.unauthorized += 1;
      response.writeHead(401, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'unauthorized' }));
      return;
    }
    if (request.method !== 'POST') {
      response.writeHead(405).end();
      return;
    }
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const body: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
    const server = new McpServer({ name: 'fake-http', version: '1.0.0' });
    registerFakeTools(server);
    const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined, enableJsonResponse: true });
    response.on('close', () => {
      void transport.close();
      void server.close();
    });
    await server.connect(transport);
    await transport.handleRequest(request, response, body);
  });
  await new Promise<void>((resolve) => httpServer.listen(options.port ?? 0, '127.0.0.1', resolve));
  const { port } = httpServer.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    get unauthorized() {
      return state.unauthorized;
    },
    close: () =>
      new Promise<void>((resolve) => {
        httpServer.closeAllConnections();
        httpServer.close(() => resolve());
      }),
  };
}
