import type { Cluster, Redis } from 'ioredis';

/** @defaultValue one day: platforms redeliver within minutes, so a day is ample. */
const CLAIM_TTL_SECONDS = 86_400;

/**
 * Claims a platform event id exactly once across every gateway process. Ingress checks it before
 * posting a placeholder, so a redelivered event neither posts nor enqueues a second time.
 */
export async function claimEvent(redis: Redis | Cluster, prefix: string, platform: string, eventId: string): Promise<boolean> {
  const result = await redis.set(`${prefix}:event:${platform}:${eventId}`, '1', 'EX', CLAIM_TTL_SECONDS, 'NX');
  return result === 'OK';
}
