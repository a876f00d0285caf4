import type { Cluster, Redis } from 'ioredis';
import { RateLimiterRedis, RateLimiterRes } from 'rate-limiter-flexible';
import { GOVERNANCE_DEFAULTS } from './governance-config.ts';
import { runScript, scriptSha } from './lua.ts';

export interface FairnessOptions {
  redis: Redis | Cluster;
  prefix: string;
  /** 0 = no limit. */
  requestsPerMinute: number;
  /** 0 = no limit. */
  maxInFlight: number;
  /** @defaultValue GOVERNANCE_DEFAULTS.slotTtlMs */
  slotTtlMs?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

export interface UserKey {
  platform: string;
  workspaceId: string;
  userId: string;
}

export type RateResult = { ok: true } | { ok: false; retryAfterMs: number };

// KEYS[1] the user's slots (sorted set: job id → expiry). ARGV: now, ttl ms, max, job id.
// Idempotent per job id: a redelivered request takes no second slot.
const ACQUIRE = `
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
if redis.call('ZSCORE', KEYS[1], ARGV[4]) then return 1 end
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[3]) then return 0 end
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[4])
redis.call('PEXPIRE', KEYS[1], tonumber(ARGV[2]))
return 1
`;
const ACQUIRE_SHA = scriptSha(ACQUIRE);

/**
 * Per-user fairness: a requests-per-minute limit (rate-limiter-flexible on Redis) and a cap on
 * one user's answers queued or running. The cap is our own small sorted set rather than the
 * library's point counter: slots are named by job id, so releasing twice (the finish step and a
 * failed-for-good handler) frees one slot, not someone else's, and a slot whose worker died
 * expires by itself instead of blocking the user forever.
 */
export class Fairness {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #limiter: RateLimiterRedis | undefined;
  readonly #maxInFlight: number;
  readonly #slotTtlMs: number;
  readonly #now: () => number;

  constructor(options: FairnessOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#maxInFlight = options.maxInFlight;
    this.#slotTtlMs = options.slotTtlMs ?? GOVERNANCE_DEFAULTS.slotTtlMs;
    this.#now = options.now ?? Date.now;
    this.#limiter =
      options.requestsPerMinute > 0
        ? new RateLimiterRedis({ storeClient: options.redis, keyPrefix: `${options.prefix}:gov:rate`, points: options.requestsPerMinute, duration: 60 })
        : undefined;
  }

  /** Counts one request against the user's minute. */
  async takeRequest(user: UserKey): Promise<RateResult> {
    if (!this.#limiter) return { ok: true };
    try {
      await this.#limiter.consume(userId(user));
      return { ok: true };
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) return { ok: false, retryAfterMs: rejection.msBeforeNext };
      throw rejection;
    }
  }

  /** Takes one of the user's in-flight slots for this job; false when all are taken. */
  async acquireSlot(user: UserKey, jobId: string): Promise<boolean> {
    if (this.#maxInFlight <= 0) return true;
    const taken = await runScript(this.#redis, ACQUIRE, ACQUIRE_SHA, [this.#slotsKey(user)], [this.#now(), this.#slotTtlMs, this.#maxInFlight, jobId]);
    return Number(taken) === 1;
  }

  /** Frees the job's slot, whatever the outcome; harmless when it holds none. */
  async releaseSlot(user: UserKey, jobId: string): Promise<void> {
    await this.#redis.zrem(this.#slotsKey(user), jobId);
  }

  /** The user's answers queued or running now. */
  async inFlight(user: UserKey): Promise<number> {
    const key = this.#slotsKey(user);
    await this.#redis.zremrangebyscore(key, '-inf', this.#now());
    return this.#redis.zcard(key);
  }

  #slotsKey(user: UserKey): string {
    return `${this.#prefix}:gov:inflight:${userId(user)}`;
  }
}

function userId(user: UserKey): string {
  return `${encodeURIComponent(user.platform)}:${encodeURIComponent(user.workspaceId)}:${encodeURIComponent(user.userId)}`;
}
