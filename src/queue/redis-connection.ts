import { Cluster, Redis, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { RedisTopology } from './redis-topology.ts';

/**
 * - `worker`: BullMQ workers block on Redis and must never give up a command
 *   (`maxRetriesPerRequest: null`), or a Redis restart kills the worker loop.
 * - `producer`: ingress must fail fast so a person gets an error instead of a hang.
 * - `subscriber`: pub/sub needs its own connection.
 */
export type RedisRole = 'worker' | 'producer' | 'subscriber' | 'client';

/** A connection in any mode: one server and Sentinel give a `Redis`, a cluster gives a `Cluster`. */
export type RedisClient = Redis | Cluster;

/** Delays between reconnection attempts, and how long a cluster waits out a failover. */
export const REDIS_CONNECTION_DEFAULTS = {
  /** @defaultValue 200 ms more per attempt */
  retryStepMs: 200,
  /** @defaultValue 5_000 */
  retryMaxMs: 5_000,
  /** A cluster command hitting a slot whose master is failing over is retried after this. @defaultValue 300 */
  clusterFailoverRetryMs: 300,
} as const;

const BY_ROLE: Record<RedisRole, RedisOptions> = {
  worker: { maxRetriesPerRequest: null, enableReadyCheck: false },
  producer: { maxRetriesPerRequest: 1, enableOfflineQueue: false, connectTimeout: 5_000 },
  subscriber: { maxRetriesPerRequest: null },
  client: { maxRetriesPerRequest: 3 },
};

const retry = (times: number): number =>
  Math.min(times * REDIS_CONNECTION_DEFAULTS.retryStepMs, REDIS_CONNECTION_DEFAULTS.retryMaxMs);

/**
 * After a Sentinel failover the old master may come back as a replica; a connection still pointed
 * at it gets READONLY on writes. Reconnecting makes ioredis ask the sentinels for the new master
 * and resend the command there.
 */
const reconnectOnReadonly = (error: Error): 2 | false => (error.message.startsWith('READONLY') ? 2 : false);

export function createRedisConnection(target: string, role: RedisRole, extra?: RedisOptions): Redis;
export function createRedisConnection(target: RedisTopology, role: RedisRole, extra?: RedisOptions): RedisClient;
export function createRedisConnection(target: string | RedisTopology, role: RedisRole, extra: RedisOptions = {}): RedisClient {
  const topology: RedisTopology = typeof target === 'string' ? { mode: 'single', url: target } : target;
  const options: RedisOptions = { connectionName: `ofox-bot:${role}`, retryStrategy: retry, ...BY_ROLE[role], ...extra };
  let client: RedisClient;
  switch (topology.mode) {
    case 'single':
      client = new Redis(topology.url, options);
      break;
    case 'sentinel':
      client = new Redis({
        ...options,
        sentinels: topology.sentinels,
        name: topology.name,
        role: 'master',
        // The ready check is where ioredis verifies the node it reached really is the master.
        enableReadyCheck: true,
        // Subscribes to the sentinels' +switch-master, so a failover is noticed at once rather than
        // when the dead master's socket finally times out.
        failoverDetector: true,
        reconnectOnError: reconnectOnReadonly,
        ...(topology.username ? { username: topology.username } : {}),
        ...(topology.password ? { password: topology.password } : {}),
        ...(topology.sentinelPassword ? { sentinelPassword: topology.sentinelPassword } : {}),
      });
      break;
    case 'cluster':
      client = new Cluster(topology.nodes, clusterOptions(options, topology));
      break;
  }
  // Connection errors surface through commands; an unhandled 'error' event would crash the process.
  client.on('error', () => {});
  return client;
}

/**
 * ioredis takes the reconnection policy and the offline queue at the cluster level, and everything
 * else per node (`redisOptions`, where BullMQ also looks for `maxRetriesPerRequest: null`).
 */
function clusterOptions(options: RedisOptions, topology: Extract<RedisTopology, { mode: 'cluster' }>): ClusterOptions {
  const { retryStrategy, enableOfflineQueue, lazyConnect, host: _host, port: _port, path: _path, sentinels: _sentinels, readOnly: _readOnly, ...perNode } = options;
  return {
    clusterRetryStrategy: (times) => (retryStrategy ? retryStrategy(times) : retry(times)),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    retryDelayOnFailover: REDIS_CONNECTION_DEFAULTS.clusterFailoverRetryMs,
    retryDelayOnClusterDown: REDIS_CONNECTION_DEFAULTS.clusterFailoverRetryMs,
    // Every read goes to the slot's master: the pacer and the claims must read what was just written.
    scaleReads: 'master',
    redisOptions: {
      ...perNode,
      ...(topology.username ? { username: topology.username } : {}),
      ...(topology.password ? { password: topology.password } : {}),
    },
  };
}
