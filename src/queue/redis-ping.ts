import { Redis } from 'ioredis';

/**
 * One PING on a short-lived connection that never retries: undefined when Redis answered, else why
 * not. The rejection alone only says "Connection is closed."; the 'error' event has the cause
 * (ECONNREFUSED, ENOENT for a socket, …).
 */
export async function pingRedis(url: string, timeoutMs: number): Promise<unknown> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  let cause: unknown;
  client.on('error', (error: unknown) => (cause ??= error));
  try {
    await client.connect();
    const pong = await client.ping();
    return pong === 'PONG' ? undefined : new Error(`unexpected PING reply ${pong}`);
  } catch (error) {
    return cause ?? error;
  } finally {
    client.disconnect();
  }
}

/** Redis answers PING at `url` within `timeoutMs`. */
export async function redisAnswers(url: string, timeoutMs: number): Promise<boolean> {
  return (await pingRedis(url, timeoutMs)) === undefined;
}
