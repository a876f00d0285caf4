import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A loopback HTTP server standing in for a file host (trusted or not) in attachment tests: it
 * records every request and how many body bytes it managed to send before the client hung up.
 */

export interface FileServerRequest {
  path: string;
  authorization?: string;
}

export interface FileServer {
  readonly origin: string;
  readonly requests: FileServerRequest[];
  /** Body bytes written so far, over all responses. */
  readonly bodyBytesSent: number;
  /** Responses whose connection closed (the client hung up, or the body ended). */
  readonly closedResponses: number;
  stop(): Promise<void>;
}

export type FileHandler = (request: IncomingMessage, response: ServerResponse, sent: (bytes: number) => void) => void;

/** Serves a body of `size` bytes in 1 KiB chunks (every `intervalMs`), declaring its length or not. */
export function streamBody(size: number, options: { declare?: number | false; contentType?: string; intervalMs?: number } = {}): FileHandler {
  return (_request, response, sent) => {
    const headers: Record<string, string> = { 'content-type': options.contentType ?? 'text/plain' };
    const declared = options.declare === undefined ? size : options.declare;
    if (declared !== false) headers['content-length'] = String(declared);
    response.writeHead(200, headers);
    let written = 0;
    const timer = setInterval(() => {
      if (response.destroyed || written >= size) {
        clearInterval(timer);
        if (!response.destroyed) response.end();
        return;
      }
      const chunk = Buffer.alloc(Math.min(1024, size - written), 'a');
      written += chunk.length;
      sent(chunk.length);
      response.write(chunk);
    }, options.intervalMs ?? 5);
    response.on('close', () => clearInterval(timer));
  };
}

/** Headers only: declares `size` bytes and never sends any of them. */
export function declareOnly(size: number, contentType = 'text/plain'): FileHandler {
  return (_request, response) => {
    response.writeHead(200, { 'content-type': contentType, 'content-length': String(size) });
    response.flushHeaders();
  };
}

export async function startFileServer(handler: FileHandler): Promise<FileServer> {
  const requests: FileServerRequest[] = [];
  let bodyBytesSent = 0;
  let closedResponses = 0;
  const server = createServer((request, response) => {
    requests.push({ path: request.url ?? '/', ...(request.headers.authorization ? { authorization: request.headers.authorization } : {}) });
    response.on('close', () => {
      closedResponses += 1;
    });
    handler(request, response, (bytes) => {
      bodyBytesSent += bytes;
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    get bodyBytesSent() {
      return bodyBytesSent;
    },
    get closedResponses() {
      return closedResponses;
    },
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
