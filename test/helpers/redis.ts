import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { inject } from 'vitest';

/** The Redis the global setup found (REDIS_URL, 127.0.0.1:6379, or a private server). */
export function testRedisUrl(): string {
  return process.env.TEST_REDIS_URL ?? inject('redisUrl');
}

/** A key prefix no other test (or real deployment) shares. */
export function newTestPrefix(name: string): string {
  return `ofox-test-${name}-${randomBytes(4).toString('hex')}`;
}

/** Deletes every key under the prefix, and nothing else: tests never flush a database. */
export async function deleteKeys(prefix: string, url = testRedisUrl()): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 1 });
  try {
    let cursor = '0';
    do {
      const [next, keys] = await client.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length > 0) await client.del(...keys);
    } while (cursor !== '0');
  } finally {
    client.disconnect();
  }
}
