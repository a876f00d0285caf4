import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdminQueuesHandler } from '../../src/observability/admin-queues.ts';
import { startHealthServer } from '../../src/observability/health-server.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { CHAT_QUEUE } from '../../src/queue/queue-names.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

/** The admin board's door, over HTTP: who gets in, how a browser keeps its session, what job data shows. */

const TOKEN = 'admin-token-0123456789abcdef';
const prefix = newTestPrefix('admin');
let connection: Redis;
let queue: Queue;
let guarded: Server;
let unguarded: Server;

const base = (server: Server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

beforeAll(async () => {
  connection = new Redis(testRedisUrl(), { maxRetriesPerRequest: null });
  queue = new Queue(CHAT_QUEUE, { connection, prefix });
  // Chat jobs carry no secrets; a job that did would still not show them.
  await queue.add('answer', { prompt: 'hello', apiKey: 'sk-live-should-never-show', nested: { botToken: 'xoxb-should-never-show', channelId: 'C1' } }, { jobId: 'probe-1' });
  guarded = await startHealthServer({ port: 0, ready: async () => true, log: silentLogger(), adminQueues: createAdminQueuesHandler({ token: TOKEN, queues: [queue] }) });
  unguarded = await startHealthServer({ port: 0, ready: async () => true, log: silentLogger() });
});

afterAll(async () => {
  guarded?.close();
  unguarded?.close();
  await queue?.close();
  connection?.disconnect();
  await deleteKeys(prefix);
});

describe('/admin/queues', () => {
  it('is not there at all unless ADMIN_TOKEN is set', async () => {
    expect((await fetch(`${base(unguarded)}/admin/queues`)).status).toBe(404);
  });

  it('answers 401 without the token or with a wrong one, and never serves the board', async () => {
    const bare = await fetch(`${base(guarded)}/admin/queues`);
    expect(bare.status).toBe(401);
    expect(bare.headers.get('www-authenticate')).toBe('Bearer realm="ofox-bot admin"');
    expect((await fetch(`${base(guarded)}/admin/queues/api/queues`, { headers: { authorization: 'Bearer wrong-token-0123456789' } })).status).toBe(401);
    expect((await fetch(`${base(guarded)}/admin/queues?token=${TOKEN}x`, { redirect: 'manual' })).status).toBe(401);
    expect((await fetch(`${base(guarded)}/admin/queues`, { headers: { cookie: `ofox_admin=${TOKEN}` } })).status).toBe(401);
  });

  it('lets a script in with the bearer token and shows job data with secret-looking keys redacted', async () => {
    const response = await fetch(`${base(guarded)}/admin/queues/api/queues?activeQueue=${CHAT_QUEUE}&status=waiting&page=1&jobsPerPage=10`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as { queues: Array<{ name: string; readOnlyMode: boolean; jobs: Array<{ id: string; data: unknown }> }> };
    expect(body.queues.map((entry) => entry.name)).toEqual([CHAT_QUEUE]);
    expect(body.queues[0]!.readOnlyMode).toBe(true);
    expect(body.queues[0]!.jobs.map((job) => job.id)).toEqual(['probe-1']);
    expect(body.queues[0]!.jobs[0]!.data).toEqual({ prompt: 'hello', apiKey: '[redacted]', nested: { botToken: '[redacted]', channelId: 'C1' } });
  });

  it('gives a browser that opens ?token= a session cookie (not the token) and a redirect to the clean address', async () => {
    const opened = await fetch(`${base(guarded)}/admin/queues?token=${TOKEN}`, { redirect: 'manual' });
    expect(opened.status).toBe(303);
    expect(opened.headers.get('location')).toBe('/admin/queues');
    const cookie = opened.headers.get('set-cookie')!;
    expect(cookie).toMatch(/^ofox_admin=[A-Za-z0-9_-]{43}; Path=\/admin\/queues; HttpOnly; SameSite=Strict; Max-Age=43200$/);
    expect(cookie).not.toContain(TOKEN);
    const page = await fetch(`${base(guarded)}/admin/queues`, { headers: { cookie: cookie.split(';')[0]! } });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>ofox-bot queues</title>');
  });
});
