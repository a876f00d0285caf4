import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';

export function scriptSha(script: string): string {
  return createHash('sha1').update(script).digest('hex');
}

/** EVALSHA first (one hash on the wire), the full script only when Redis has not cached it. */
export async function runScript(redis: Redis | Cluster, script: string, sha: string, keys: readonly string[], args: ReadonlyArray<string | number>): Promise<unknown> {
  try {
    return await redis.evalsha(sha, keys.length, ...keys, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return redis.eval(script, keys.length, ...keys, ...args);
  }
}
