import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { RateLimitInfo } from '../llm/types.ts';
import { abortableSleep } from '../llm/index.ts';

/**
 * The team's upstream request budget, shared by every worker process through Redis, so a busy team
 * queues instead of collecting 429s. GCRA: each request reserves the next slot; the caller sleeps
 * until its slot. Reservations are FIFO, so waiting answers are served in order.
 */

// Time comes from Redis (ARGV[1] empty) so workers on machines with skewed clocks agree; tests pass a clock.
const NOW = `
local function clock(given)
  if given ~= '' then return tonumber(given) end
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
`;

// KEYS[1] = theoretical arrival time key; ARGV = now ('' = Redis time), interval ms, burst tolerance ms, ttl ms
const RESERVE = `${NOW}
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local now = clock(ARGV[1])
local interval = tonumber(ARGV[2])
local tolerance = tonumber(ARGV[3])
if tat < now then tat = now end
local allowed_at = tat - tolerance
local wait = 0
if allowed_at > now then wait = allowed_at - now end
redis.call('SET', KEYS[1], tostring(tat + interval), 'PX', math.floor(tonumber(ARGV[4]) + wait + tolerance))
return wait
`;

// Pushes the next free slot to now + ARGV[2] (a 429 or an exhausted window said so).
// ARGV = now ('' = Redis time), delay ms, burst tolerance ms, ttl ms
const BLOCK_UNTIL = `${NOW}
local tat = tonumber(redis.call('GET', KEYS[1]) or '0')
local until_at = clock(ARGV[1]) + tonumber(ARGV[2]) + tonumber(ARGV[3])
if until_at > tat then redis.call('SET', KEYS[1], tostring(until_at), 'PX', math.floor(tonumber(ARGV[4]))) end
return 1
`;

const sha1 = (script: string) => createHash('sha1').update(script).digest('hex');
const RESERVE_SHA = sha1(RESERVE);
const BLOCK_UNTIL_SHA = sha1(BLOCK_UNTIL);

/** EVALSHA first (one hash on the wire per job), the full script only when Redis has not cached it. */
async function runScript(redis: Redis | Cluster, script: string, sha: string, key: string, ...args: Array<string | number>): Promise<unknown> {
  try {
    return await redis.evalsha(sha, 1, key, ...args);
  } catch (error) {
    if (!(error instanceof Error) || !error.message.includes('NOSCRIPT')) throw error;
    return redis.eval(script, 1, key, ...args);
  }
}

export interface RequestBudgetOptions {
  redis: Redis | Cluster;
  prefix: string;
  /** Requests per minute for the whole team. */
  requestsPerMinute: number;
  /** Requests allowed back to back before pacing starts. @defaultValue requestsPerMinute / 6 */
  burst?: number;
  /** A test clock; by default time comes from Redis. */
  now?: () => number;
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
}

export class RequestBudget {
  private readonly redis: Redis | Cluster;
  private readonly key: string;
  private requestsPerMinute: number;
  private readonly configuredPerMinute: number;
  private readonly burstOverride: number | undefined;
  private readonly now: (() => number) | undefined;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;

  constructor(options: RequestBudgetOptions) {
    this.redis = options.redis;
    this.key = `${options.prefix}:budget:upstream`;
    this.requestsPerMinute = options.requestsPerMinute;
    this.configuredPerMinute = options.requestsPerMinute;
    this.burstOverride = options.burst;
    this.now = options.now;
    this.sleep = options.sleep ?? abortableSleep;
  }

  private get interval(): number {
    return 60_000 / this.requestsPerMinute;
  }

  private get tolerance(): number {
    const burst = this.burstOverride ?? Math.max(1, Math.floor(this.requestsPerMinute / 6));
    return this.interval * (burst - 1);
  }

  /**
   * Waits for a slot. `onQueued` is called once with the expected wait when the caller must wait,
   * so the answer can say it is queued.
   */
  async take(signal?: AbortSignal, onQueued?: (waitMs: number) => void): Promise<number> {
    const wait = Number(await runScript(this.redis, RESERVE, RESERVE_SHA, this.key, this.now?.() ?? '', this.interval, this.tolerance, 120_000));
    if (wait > 0) {
      onQueued?.(wait);
      await this.sleep(wait, signal);
    }
    return wait;
  }

  /** Adapts to what the gateway says: a smaller limit lowers our pace; an empty window blocks until reset. */
  async observe(info: RateLimitInfo): Promise<void> {
    if (info.limitRequests && info.limitRequests > 0) {
      this.requestsPerMinute = Math.min(this.configuredPerMinute, info.limitRequests);
    }
    const windowSpent = info.remainingRequests === 0 ? (info.resetRequestsMs ?? 0) : 0;
    const wait = Math.max(info.retryAfterMs ?? 0, windowSpent);
    if (wait > 0) await this.blockFor(wait);
  }

  /** After a 429 with Retry-After: nobody in the team sends until then. */
  async blockFor(ms: number): Promise<void> {
    await runScript(this.redis, BLOCK_UNTIL, BLOCK_UNTIL_SHA, this.key, this.now?.() ?? '', ms, this.tolerance, ms + this.tolerance + 60_000);
  }
}
