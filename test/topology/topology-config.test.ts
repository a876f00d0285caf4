import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { discordShardOptions, RedisIdentifyThrottler, shardForGuild } from '../../adapters/discord/sharding.ts';
import { assertRoleConfig, ConfigError, loadConfig, redactConfig, secretValues, type Config } from '../../src/config.ts';
import { Cluster, Redis } from 'ioredis';
import { createRedisConnection } from '../../src/queue/redis-connection.ts';
import { describeRedisTopology } from '../../src/queue/redis-topology-report.ts';
import { redisTopologyFromConfig } from '../../src/queue/redis-topology.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

/** The variables of issue 15, read and refused the way a person needs them to be. */

const load = (env: Record<string, string>): Config => loadConfig(env, '/nonexistent/.env');

function problems(env: Record<string, string>): string[] {
  try {
    load(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

/** What a gateway role refuses: rules that span a platform's variables are checked per role. */
function gatewayProblems(env: Record<string, string>): string[] {
  try {
    assertRoleConfig(load({ DISCORD_TOKEN: 't', DISCORD_APPLICATION_ID: '1', ...env }), 'gateway');
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('Redis topology settings', () => {
  it('defaults to the single Redis at REDIS_URL with the hash-tagged prefix {ofox}', () => {
    const config = load({});
    expect(config.REDIS_KEY_PREFIX).toBe('{ofox}');
    expect(redisTopologyFromConfig(config)).toEqual({ mode: 'single', url: 'redis://127.0.0.1:6379' });
  });

  it('REDIS_SENTINELS turns on Sentinel mode, with the master name and passwords', () => {
    const config = load({ REDIS_SENTINELS: '10.0.0.5, 10.0.0.6:26380,[::1]:26381', REDIS_SENTINEL_NAME: 'bot', REDIS_PASSWORD: 'data-secret', REDIS_SENTINEL_PASSWORD: 'sentinel-secret' });
    expect(redisTopologyFromConfig(config)).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: '10.0.0.5', port: 26379 },
        { host: '10.0.0.6', port: 26380 },
        { host: '::1', port: 26381 },
      ],
      name: 'bot',
      password: 'data-secret',
      sentinelPassword: 'sentinel-secret',
    });
    expect(secretValues(config)).toEqual(['data-secret', 'sentinel-secret']);
    expect(redactConfig(config)).toMatchObject({ REDIS_PASSWORD: '[redacted]', REDIS_SENTINEL_PASSWORD: '[redacted]' });
  });

  it('REDIS_CLUSTER_NODES turns on Cluster mode', () => {
    expect(redisTopologyFromConfig(load({ REDIS_CLUSTER_NODES: 'a:7000,b' }))).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'a', port: 7000 },
        { host: 'b', port: 6379 },
      ],
    });
  });

  it('refuses what cannot work, one readable line per problem', () => {
    expect(problems({ REDIS_SENTINELS: 'a:1,b:99999', REDIS_CLUSTER_NODES: 'x y' })).toEqual([
      'REDIS_SENTINELS: "b:99999" is not host:port (expected e.g. 10.0.0.5:26379)',
      'REDIS_CLUSTER_NODES: "x y" is not host:port (expected e.g. 10.0.0.5:7000)',
    ]);
    expect(problems({ REDIS_SENTINELS: 'a:26379', REDIS_CLUSTER_NODES: 'b:7000', REDIS_KEY_PREFIX: '{bot}' })).toEqual([
      'REDIS_CLUSTER_NODES: set REDIS_SENTINELS or REDIS_CLUSTER_NODES, not both',
    ]);
    expect(problems({ REDIS_CLUSTER_NODES: 'b:7000', REDIS_KEY_PREFIX: 'bot{}' })).toEqual([
      'REDIS_KEY_PREFIX: "bot{}" has no hash tag; on a Redis Cluster every key must share one slot, so use braces, e.g. {bot}',
    ]);
  });

  it('a prefix without a hash tag is fine on a single Redis (existing deployments keep their keys)', () => {
    expect(load({ REDIS_KEY_PREFIX: 'ofox' }).REDIS_KEY_PREFIX).toBe('ofox');
  });
});

describe('createRedisConnection per mode', () => {
  const cluster = { mode: 'cluster' as const, nodes: [{ host: '127.0.0.1', port: 7000 }], password: 'pw' };

  it('a cluster gives BullMQ what it checks: maxRetriesPerRequest null per node for workers and subscribers', () => {
    for (const role of ['worker', 'subscriber'] as const) {
      const client = createRedisConnection(cluster, role, { lazyConnect: true });
      expect(client).toBeInstanceOf(Cluster);
      expect((client as Cluster).options.redisOptions).toMatchObject({ maxRetriesPerRequest: null, password: 'pw', connectionName: `ofox-bot:${role}` });
      expect((client as Cluster).options.scaleReads).toBe('master');
      client.disconnect();
    }
  });

  it('a cluster producer fails fast: no offline queue, one retry per command', () => {
    const client = createRedisConnection(cluster, 'producer', { lazyConnect: true }) as Cluster;
    expect(client.options.enableOfflineQueue).toBe(false);
    expect(client.options.redisOptions?.maxRetriesPerRequest).toBe(1);
    client.disconnect();
  });

  it('Sentinel mode asks the sentinels for the named master and verifies its role', () => {
    const client = createRedisConnection({ mode: 'sentinel', sentinels: [{ host: '127.0.0.1', port: 26379 }], name: 'bot', sentinelPassword: 's' }, 'worker', { lazyConnect: true });
    expect(client).toBeInstanceOf(Redis);
    expect((client as Redis).options).toMatchObject({ name: 'bot', role: 'master', sentinelPassword: 's', failoverDetector: true, enableReadyCheck: true, maxRetriesPerRequest: null });
    client.disconnect();
  });
});

describe('Discord sharding settings', () => {
  it('reads a count and a list of ids and ranges', () => {
    const config = load({ DISCORD_SHARD_COUNT: '8', DISCORD_SHARD_IDS: '0-3, 6,3' });
    expect(config.DISCORD_SHARD_COUNT).toBe(8);
    expect(config.DISCORD_SHARD_IDS).toEqual([0, 1, 2, 3, 6]);
    expect(load({ DISCORD_SHARD_COUNT: 'AUTO' }).DISCORD_SHARD_COUNT).toBe('auto');
  });

  it('refuses bad counts, bad ids, ids beyond the count, and ids without a count', () => {
    expect(problems({ DISCORD_SHARD_COUNT: '0' })).toEqual(['DISCORD_SHARD_COUNT: "0" is not a shard count (a whole number of at least 1, or auto)']);
    expect(problems({ DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: '3-1,x' })).toEqual([
      'DISCORD_SHARD_IDS: "3-1" is not a shard id or a range like 0-3',
      'DISCORD_SHARD_IDS: "x" is not a shard id or a range like 0-3',
    ]);
    expect(gatewayProblems({ DISCORD_SHARD_COUNT: '4', DISCORD_SHARD_IDS: '2-5' })).toEqual(['DISCORD_SHARD_IDS: shard ids run from 0 to 3 when DISCORD_SHARD_COUNT is 4']);
    expect(gatewayProblems({ DISCORD_SHARD_IDS: '0' })).toEqual(['DISCORD_SHARD_COUNT: required with DISCORD_SHARD_IDS (a number, or auto)']);
  });
});

describe('discordShardOptions', () => {
  let server: Server;
  let apiUrl = '';
  let recommended = 3;
  const seen: string[] = [];

  beforeAll(async () => {
    server = createServer((request, response) => {
      seen.push(`${request.method} ${request.url} ${request.headers.authorization}`);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ url: 'ws://x', shards: recommended, session_start_limit: { total: 1000, remaining: 999, reset_after: 1, max_concurrency: 1 } }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}/api`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const config = (count: string | undefined, ids?: string) =>
    load({ DISCORD_TOKEN: 'tok', DISCORD_API_URL: apiUrl, ...(count ? { DISCORD_SHARD_COUNT: count } : {}), ...(ids ? { DISCORD_SHARD_IDS: ids } : {}) });

  it('leaves discord.js its single shard when nothing is set, and lets it ask Discord for `auto` alone', async () => {
    expect(await discordShardOptions(config(undefined))).toEqual({});
    expect(await discordShardOptions(config('auto'))).toEqual({ shards: 'auto' });
    expect(seen).toEqual([]);
  });

  it('a number holds every shard unless ids say which', async () => {
    expect(await discordShardOptions(config('4'))).toEqual({ shardCount: 4, shards: [0, 1, 2, 3] });
    expect(await discordShardOptions(config('4', '1,3'))).toEqual({ shardCount: 4, shards: [1, 3] });
  });

  it('`auto` with ids asks /gateway/bot for the total', async () => {
    recommended = 3;
    expect(await discordShardOptions(config('auto', '2'))).toEqual({ shardCount: 3, shards: [2] });
    expect(seen.at(-1)).toBe('GET /api/v10/gateway/bot Bot tok');
    await expect(discordShardOptions(config('auto', '0-4'))).rejects.toThrow('DISCORD_SHARD_IDS lists shard 3, 4, but the bot has 3 shards (ids 0 to 2) as Discord recommends');
  });

  it('routes a guild by (id >> 22) % count and direct messages to shard 0', () => {
    expect(shardForGuild(undefined, 16)).toBe(0);
    expect(shardForGuild(String((5n << 22n) | 123n), 4)).toBe(1);
    expect(shardForGuild('81384788765712384', 2)).toBe(Number((81384788765712384n >> 22n) % 2n));
  });
});

describe('RedisIdentifyThrottler', () => {
  it('spaces identifies of one max_concurrency bucket across processes, and lets other buckets go at once', async () => {
    const prefix = newTestPrefix('identify');
    const redis = new Redis(testRedisUrl());
    try {
      // Two gateway processes' throttlers, max_concurrency 2: shards 0 and 2 share a bucket, 1 does not.
      const [first, second] = [0, 1].map(() => new RedisIdentifyThrottler(redis, prefix, 2, { spacingMs: 1_500, pollMs: 20 }));
      const signal = new AbortController().signal;
      await redis.ping(); // connected first: only the throttling is timed
      const started = performance.now();
      await first!.waitForIdentify(0, signal);
      const afterFirst = performance.now() - started;
      await second!.waitForIdentify(1, signal);
      const otherBucket = performance.now() - started;
      await second!.waitForIdentify(2, signal);
      const sameBucket = performance.now() - started;
      // Generous upper bounds (a busy machine), a strict lower one: the shared bucket waited out the slot.
      expect(afterFirst).toBeLessThan(1_000);
      expect(otherBucket).toBeLessThan(1_000);
      expect(sameBucket).toBeGreaterThanOrEqual(1_500);
      // An identify for a shard already destroyed gives up instead of taking the slot.
      const aborted = new AbortController();
      aborted.abort(new Error('shard destroyed'));
      await expect(first!.waitForIdentify(1, aborted.signal)).rejects.toThrow('shard destroyed');
    } finally {
      redis.disconnect();
      await deleteKeys(prefix);
    }
  });

  it('spaces identifies within the process when Redis is unreachable', async () => {
    const broken = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    broken.on('error', () => {});
    const throttler = new RedisIdentifyThrottler(broken, '{x}', 1, { spacingMs: 300 });
    const signal = new AbortController().signal;
    const started = performance.now();
    await throttler.waitForIdentify(0, signal);
    await throttler.waitForIdentify(1, signal);
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    broken.disconnect();
  });
});

describe('describeRedisTopology on a single Redis', () => {
  it('names the mode, the role and says there is no failover', async () => {
    const report = await describeRedisTopology(load({ REDIS_URL: testRedisUrl() }));
    expect(report.mode).toBe('single');
    expect(report.healthy).toBe(true);
    expect(report.lines[0]).toBe(`mode: single Redis at ${new URL(testRedisUrl()).hostname}:${new URL(testRedisUrl()).port || '6379'} (REDIS_URL)`);
    expect(report.lines[1]).toMatch(/^role: master, \d+ connected replicas?$/);
    expect(report.lines[2]).toBe('failover: none (one server; if it stops, every role waits for it)');
  });

  it('says a Redis that does not answer is unreachable, without its password', async () => {
    const report = await describeRedisTopology(load({ REDIS_URL: 'redis://:hunter2@127.0.0.1:1' }), { timeoutMs: 500 });
    expect(report.healthy).toBe(false);
    expect(report.lines[0]).toBe('mode: single Redis at 127.0.0.1:1 (REDIS_URL)');
    expect(report.lines[1]).toMatch(/^unreachable: .*ECONNREFUSED/);
    expect(report.lines.join('\n')).not.toContain('hunter2');
  });

  it('says no sentinel answered when none does', async () => {
    const report = await describeRedisTopology(load({ REDIS_SENTINELS: '127.0.0.1:1' }), { timeoutMs: 500 });
    expect(report).toMatchObject({ mode: 'sentinel', healthy: false });
    expect(report.lines.at(-1)).toBe('no sentinel answered: the master cannot be found');
  });
});
