import { setTimeout as sleep } from 'node:timers/promises';
import type { ClientOptions } from 'discord.js';
import type { Cluster, Redis } from 'ioredis';
import type { Config } from '../../src/config.ts';
import { discordApiBase } from './rest.ts';

/**
 * Which gateway shards this process holds (DISCORD_SHARD_COUNT, DISCORD_SHARD_IDS), as discord.js
 * client options. Several gateway processes, on several machines, each hold a part of the shards;
 * Discord sends a guild's events to shard `(guild_id >> 22) % shard_count` and direct messages to
 * shard 0. discord.js identifies the shards it holds through @discordjs/ws, whose identify
 * throttler reads `session_start_limit.max_concurrency` from `GET /gateway/bot` and spaces the
 * identifies of shards with the same `shard_id % max_concurrency` five seconds apart — within one
 * process. {@link RedisIdentifyThrottler} extends that spacing to every gateway process through
 * Redis. discord.js resumes a dropped shard's session (RESUME) and identifies afresh only when
 * Discord refuses that.
 */

export type ShardConfig = Pick<Config, 'DISCORD_SHARD_COUNT' | 'DISCORD_SHARD_IDS' | 'DISCORD_TOKEN' | 'DISCORD_API_URL'>;

export type DiscordShardOptions = Pick<ClientOptions, 'shards' | 'shardCount'>;

/** The part of `GET /gateway/bot` sharding needs. */
export interface GatewayBotInfo {
  shards: number;
  session_start_limit: { max_concurrency: number };
}

export const SHARDING_DEFAULTS = {
  /** Discord's public API, when DISCORD_API_URL is unset. @defaultValue 'https://discord.com/api' */
  apiBase: 'https://discord.com/api',
  /** @defaultValue 10_000 */
  timeoutMs: 10_000,
} as const;

export class ShardConfigError extends Error {
  override name = 'ShardConfigError';
}

/** The shard a guild's events arrive on; direct messages (no guild) arrive on shard 0. */
export function shardForGuild(guildId: string | undefined, shardCount: number): number {
  if (guildId === undefined) return 0;
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/**
 * Nothing configured: `{}` (discord.js's default, one shard). `auto` without ids: discord.js asks
 * Discord itself. `auto` with ids, or a number: the ids (default: all) and the total.
 */
export async function discordShardOptions(config: ShardConfig, options: { fetch?: typeof fetch } = {}): Promise<DiscordShardOptions> {
  const count = config.DISCORD_SHARD_COUNT;
  const ids = config.DISCORD_SHARD_IDS;
  if (count === undefined) return {};
  if (count === 'auto' && ids === undefined) return { shards: 'auto' };
  const shardCount = count === 'auto' ? (await fetchGatewayBot(config, options.fetch ?? fetch)).shards : count;
  const outside = (ids ?? []).filter((id) => id >= shardCount);
  if (outside.length > 0) {
    throw new ShardConfigError(
      `DISCORD_SHARD_IDS lists shard ${outside.join(', ')}, but the bot has ${shardCount} shard${shardCount === 1 ? '' : 's'} (ids 0 to ${shardCount - 1})${count === 'auto' ? ' as Discord recommends' : ''}`,
    );
  }
  return { shardCount, shards: ids ?? Array.from({ length: shardCount }, (_, id) => id) };
}

/** Discord's recommended shard count and identify concurrency for this bot. */
export async function fetchGatewayBot(config: Pick<Config, 'DISCORD_TOKEN' | 'DISCORD_API_URL'>, fetcher: typeof fetch = fetch): Promise<GatewayBotInfo> {
  if (!config.DISCORD_TOKEN) throw new ShardConfigError('DISCORD_SHARD_COUNT=auto needs DISCORD_TOKEN to ask Discord for the shard count');
  const base = discordApiBase(config) ?? SHARDING_DEFAULTS.apiBase;
  let response: Response;
  try {
    response = await fetcher(`${base}/v10/gateway/bot`, {
      headers: { authorization: `Bot ${config.DISCORD_TOKEN}` },
      signal: AbortSignal.timeout(SHARDING_DEFAULTS.timeoutMs),
    });
  } catch (error) {
    throw new ShardConfigError(`DISCORD_SHARD_COUNT=auto: Discord's /gateway/bot could not be reached (${error instanceof Error ? error.message : String(error)})`);
  }
  if (!response.ok) throw new ShardConfigError(`DISCORD_SHARD_COUNT=auto: Discord's /gateway/bot answered ${response.status}${response.status === 401 ? ' (is DISCORD_TOKEN right?)' : ''}`);
  const body = (await response.json()) as Partial<GatewayBotInfo>;
  if (typeof body.shards !== 'number' || body.shards < 1) throw new ShardConfigError("DISCORD_SHARD_COUNT=auto: Discord's /gateway/bot did not say how many shards to use");
  return { shards: body.shards, session_start_limit: { max_concurrency: body.session_start_limit?.max_concurrency ?? 1 } };
}

type BuildIdentifyThrottler = NonNullable<NonNullable<ClientOptions['ws']>['buildIdentifyThrottler']>;
type IdentifyThrottler = Awaited<ReturnType<BuildIdentifyThrottler>>;

export const IDENTIFY_DEFAULTS = {
  /** Discord lets one shard per `max_concurrency` bucket identify every 5 s. @defaultValue 5_000 */
  spacingMs: 5_000,
  /** How often a waiting process asks whether the bucket is free again. @defaultValue 250 */
  pollMs: 250,
} as const;

/**
 * Identify spacing shared by every gateway process: the bucket's key in Redis, set with NX for
 * `spacingMs`, is the identify slot itself — the process that sets it identifies now, the others
 * wait for it to expire. Written here because discord.js's own throttler only knows its process.
 * When Redis cannot be reached it spaces identifies within this process, as discord.js would.
 */
export class RedisIdentifyThrottler implements IdentifyThrottler {
  readonly #redis: Pick<Redis | Cluster, 'set'>;
  readonly #prefix: string;
  readonly #maxConcurrency: number;
  readonly #spacingMs: number;
  readonly #pollMs: number;
  /** Bucket → when this process may next identify in it, for when Redis is away. */
  readonly #localNext = new Map<number, number>();

  constructor(redis: Pick<Redis | Cluster, 'set'>, prefix: string, maxConcurrency: number, options: { spacingMs?: number; pollMs?: number } = {}) {
    this.#redis = redis;
    this.#prefix = prefix;
    this.#maxConcurrency = Math.max(1, Math.floor(maxConcurrency));
    this.#spacingMs = options.spacingMs ?? IDENTIFY_DEFAULTS.spacingMs;
    this.#pollMs = options.pollMs ?? IDENTIFY_DEFAULTS.pollMs;
  }

  async waitForIdentify(shardId: number, signal: AbortSignal): Promise<void> {
    const bucket = shardId % this.#maxConcurrency;
    const key = `${this.#prefix}:discord:identify:${bucket}`;
    for (;;) {
      signal.throwIfAborted();
      let acquired: boolean;
      try {
        acquired = (await this.#redis.set(key, String(shardId), 'PX', this.#spacingMs, 'NX')) === 'OK';
      } catch {
        await this.#waitLocally(bucket, signal);
        return;
      }
      if (acquired) return;
      // Jitter, so processes waiting on one bucket do not ask in lockstep.
      await sleep(this.#pollMs + Math.random() * this.#pollMs, undefined, { signal });
    }
  }

  async #waitLocally(bucket: number, signal: AbortSignal): Promise<void> {
    const now = Date.now();
    const at = Math.max(now, this.#localNext.get(bucket) ?? 0);
    this.#localNext.set(bucket, at + this.#spacingMs);
    if (at > now) await sleep(at - now, undefined, { signal });
  }
}

/** `ws.buildIdentifyThrottler` for discord.js: max_concurrency from `GET /gateway/bot`, spacing in Redis. */
export function sharedIdentifyThrottler(redis: Pick<Redis | Cluster, 'set'>, prefix: string): BuildIdentifyThrottler {
  return async (manager) => new RedisIdentifyThrottler(redis, prefix, (await manager.fetchGatewayInformation()).session_start_limit.max_concurrency);
}
