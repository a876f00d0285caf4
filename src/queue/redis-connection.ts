import { Redis, type RedisOptions } from 'ioredis';

/**
 * - `worker`: BullMQ workers block on Redis and must never give up a command
 *   (`maxRetriesPerRequest: null`), or a Redis restart kills the worker loop.
 * - `producer`: ingress must fail fast so a person gets an error instead of a hang.
 * - `subscriber`: pub/sub needs its own connection.
 */
export type RedisRole = 'worker' | 'producer' | 'subscriber' | 'client';

export function createRedisConnection(url: string, role: RedisRole, extra: RedisOptions = {}): Redis {
  const base: RedisOptions = {
    connectionName: `ofox-bot:${role}`,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  };
  const byRole: Record<RedisRole, RedisOptions> = {
    worker: { maxRetriesPerRequest: null, enableReadyCheck: false },
    producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 },
    subscriber: { maxRetriesPerRequest: null },
    client: { maxRetriesPerRequest: 3 },
  };
  const client = new Redis(url, { ...base, ...byRole[role], ...extra });
  // Connection errors surface through commands; an unhandled 'error' event would crash the process.
  client.on('error', () => {});
  return client;
}
