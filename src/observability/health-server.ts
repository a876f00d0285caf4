import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Logger } from './logger.ts';
import { metricsRegistry } from './metrics.ts';

export interface HealthServerOptions {
  port: number;
  /** Bind address. @defaultValue every interface (Node's default) */
  host?: string;
  /** Readiness: every dependency this role needs answers (Redis, the platform connection). */
  ready: () => Promise<boolean>;
  log: Logger;
  /** Serves `/admin/queues*` (bull-board behind ADMIN_TOKEN); without it that path is a 404. @defaultValue none */
  adminQueues?: (request: IncomingMessage, response: ServerResponse) => void;
}

/** What the routes that depend on the role answer with; a reserved server gets them when the role attaches. */
type RoleRoutes = Pick<HealthServerOptions, 'ready' | 'adminQueues'>;

/** The port (or address) is not usable; the message names the variable to change. */
export class HealthPortError extends Error {
  override name = 'HealthPortError';
  readonly code: string | undefined;
  constructor(port: number, host: string | undefined, cause: unknown) {
    const code = (cause as { code?: string } | undefined)?.code;
    const where = `${host ?? '*'}:${port}`;
    const reason =
      code === 'EADDRINUSE'
        ? `HEALTH_PORT ${port} is already in use (${where}); another ofox-bot process may hold it. Set HEALTH_PORT to a free port, or 0 to turn the health server off.`
        : code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND'
          ? `HEALTH_HOST ${host} is not an address of this machine (${code}). Unset HEALTH_HOST to listen on every interface.`
          : code === 'EACCES'
            ? `HEALTH_PORT ${port} needs privileges this process lacks (EACCES). Use a port above 1023.`
            : `the health server could not listen on ${where} (${code ?? String(cause)}). Check HEALTH_PORT and HEALTH_HOST.`;
    super(reason, { cause });
    this.code = code;
  }
}

/**
 * A health server bound before the role starts, answering "not ready" until the role attaches its
 * readiness check: the port is known to be free before any worker takes a job, and the role's
 * `startHealthServer` call picks up this server instead of binding a second one.
 */
const reserved = new Map<number, { server: Server; attach(options: HealthServerOptions): void }>();

/** Binds `/healthz`, `/readyz` and `/metrics` now; `/readyz` says 503 until `startHealthServer` attaches. */
export async function reserveHealthServer(options: Omit<HealthServerOptions, 'ready' | 'adminQueues'>): Promise<Server> {
  const routes: RoleRoutes = { ready: async () => false };
  const server = await listen(options, routes);
  reserved.set(options.port, {
    server,
    attach: (attached) => {
      routes.ready = attached.ready;
      routes.adminQueues = attached.adminQueues;
    },
  });
  server.once('close', () => reserved.delete(options.port));
  return server;
}

/** /healthz (the process is up), /readyz (it can do its job) and /metrics (Prometheus). */
export async function startHealthServer(options: HealthServerOptions): Promise<Server> {
  const early = reserved.get(options.port);
  if (early) {
    early.attach(options);
    return early.server;
  }
  return listen(options, options);
}

async function listen(options: Omit<HealthServerOptions, 'ready' | 'adminQueues'>, routes: RoleRoutes): Promise<Server> {
  const server = createServer((request, response) => handle(request, response, routes));
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error) => reject(new HealthPortError(options.port, options.host, error)));
    server.listen(options.port, options.host, () => resolve());
  });
  options.log.info({ port: options.port, host: options.host ?? '*' }, 'health server listening');
  return server;
}

function handle(request: IncomingMessage, response: ServerResponse, routes: RoleRoutes): void {
  const path = (request.url ?? '/').split('?')[0];
  if (path === '/healthz') {
    response.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
  } else if (path === '/readyz') {
    routes
      .ready()
      .catch(() => false)
      .then((isReady) => response.writeHead(isReady ? 200 : 503, { 'content-type': 'text/plain' }).end(isReady ? 'ready' : 'not ready'));
  } else if (path === '/metrics') {
    metricsRegistry
      .metrics()
      .then((body) => response.writeHead(200, { 'content-type': metricsRegistry.contentType }).end(body))
      .catch(() => response.writeHead(500).end());
  } else if (routes.adminQueues && (path === '/admin/queues' || path?.startsWith('/admin/queues/'))) {
    routes.adminQueues(request, response);
  } else {
    response.writeHead(404).end();
  }
}
