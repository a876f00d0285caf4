import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import express from 'express';

/**
 * bull-board at `/admin/queues` on the health port, behind ADMIN_TOKEN. The health server is a
 * plain `node:http` server, and the Express adapter's router is itself a `(request, response)`
 * listener: mounting it under the base path in a two-line Express app is all the glue there is
 * (the Hono and H3 adapters would need a node bridge and a static-file server on top).
 *
 * Scripts send `Authorization: Bearer <token>`. A browser opens `/admin/queues?token=<token>`
 * once: it gets a session cookie (an HMAC of the token, never the token itself) and is
 * redirected to the same page without the token in its address. Tokens and cookies are compared
 * in constant time. The board is read-only: answers are retried by the bot, never by hand.
 */

export interface AdminQueuesOptions {
  /** ADMIN_TOKEN. */
  token: string;
  queues: Queue[];
  /** @defaultValue ADMIN_QUEUES_DEFAULTS.basePath */
  basePath?: string;
}

export const ADMIN_QUEUES_DEFAULTS = {
  basePath: '/admin/queues',
  cookieName: 'ofox_admin',
  /** A browser session lasts a working day. */
  cookieMaxAgeSeconds: 12 * 60 * 60,
} as const;

export type AdminQueuesHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** Keys whose values bull-board shows as `[redacted]` in job data and results, at any depth. */
const SECRET_KEY = /token|secret|password|authorization|cookie|key/i;

/** A copy of job data with every secret-looking key's value replaced. Jobs carry no secrets; this keeps it so. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((item) => redactSecrets(item, depth + 1));
  return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, SECRET_KEY.test(key) ? '[redacted]' : redactSecrets(item, depth + 1)]));
}

export function createAdminQueuesHandler(options: AdminQueuesOptions): AdminQueuesHandler {
  const basePath = options.basePath ?? ADMIN_QUEUES_DEFAULTS.basePath;
  const serverAdapter = new ExpressAdapter().setBasePath(basePath);
  const queues = options.queues.map((queue) => {
    const adapter = new BullMQAdapter(queue, { readOnlyMode: true, allowRetries: false });
    adapter.setFormatter('data', (data) => redactSecrets(data));
    adapter.setFormatter('returnValue', (data) => redactSecrets(data));
    return adapter;
  });
  createBullBoard({ queues, serverAdapter, options: { uiConfig: { boardTitle: 'ofox-bot queues' } } });
  const app = express();
  app.disable('x-powered-by');
  app.use(basePath, serverAdapter.getRouter() as express.Router);

  const tokenDigest = digest(options.token);
  const session = createHmac('sha256', options.token).update('ofox-bot admin session').digest('base64url');
  const sessionDigest = digest(session);

  return (request, response) => {
    const url = new URL(request.url ?? '/', 'http://admin.invalid');
    const bearer = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? '')?.[1]?.trim();
    const cookie = readCookie(request.headers.cookie, ADMIN_QUEUES_DEFAULTS.cookieName);
    const queryToken = url.searchParams.get('token');

    if (queryToken !== null && sameDigest(digest(queryToken), tokenDigest)) {
      url.searchParams.delete('token');
      const secure = request.headers['x-forwarded-proto'] === 'https' ? '; Secure' : '';
      response
        .writeHead(303, {
          location: `${url.pathname}${url.search}`,
          'set-cookie': `${ADMIN_QUEUES_DEFAULTS.cookieName}=${session}; Path=${basePath}; HttpOnly; SameSite=Strict; Max-Age=${ADMIN_QUEUES_DEFAULTS.cookieMaxAgeSeconds}${secure}`,
          'cache-control': 'no-store',
        })
        .end();
      return;
    }
    const allowed = (bearer !== undefined && sameDigest(digest(bearer), tokenDigest)) || (cookie !== undefined && sameDigest(digest(cookie), sessionDigest));
    if (!allowed) {
      response
        .writeHead(401, { 'content-type': 'text/plain; charset=utf-8', 'www-authenticate': 'Bearer realm="ofox-bot admin"', 'cache-control': 'no-store' })
        .end('Unauthorized: send Authorization: Bearer <ADMIN_TOKEN>, or open /admin/queues?token=<ADMIN_TOKEN> once in a browser.\n');
      return;
    }
    app(request, response);
  };
}

/** Equal-length digests, so the comparison takes the same time whatever was sent. */
function digest(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}

function sameDigest(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}

function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const [key, ...rest] = part.trim().split('=');
    if (key === name) return rest.join('=');
  }
  return undefined;
}
