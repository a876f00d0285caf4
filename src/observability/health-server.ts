import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from './logger.ts';
import { metricsRegistry } from './metrics.ts';

export interface HealthServerOptions {
  port: number;
  /** Readiness: every dependency this role needs answers (Redis, the platform connection). */
  ready: () => Promise<boolean>;
  log: Logger;
  /** Serves `/admin/queues*` (bull-board behind ADMIN_TOKEN); without it that path is a 404. @defaultValue none */
  adminQueues?: (request: IncomingMessage, response: ServerResponse) => void;
}

/** /healthz (the process is up), /readyz (it can do its job) and /metrics (Prometheus). */
export async function startHealthServer(options: HealthServerOptions): Promise<Server> {
  const server = createServer((request, response) => {
    const path = (request.url ?? '/').split('?')[0];
    if (path === '/healthz') {
      response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    } else if (path === '/readyz') {
      options
        .ready()
        .catch(() => false)
        .then((ready) => response.writeHead(ready ? 200 : 503, { 'content-type': 'text/plain' }).end(ready ? 'ready' : 'not ready'));
    } else if (path === '/metrics') {
      metricsRegistry
        .metrics()
        .then((body) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(body))
        .catch(() => response.writeHead(500).end());
    } else if (options.adminQueues && (path === '/admin/queues' || path?.startsWith('/admin/queues/'))) {
      options.adminQueues(request, response);
    } else {
      response.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, () => resolve());
  });
  options.log.info({ port: options.port }, 'health server listening');
  return server;
}
