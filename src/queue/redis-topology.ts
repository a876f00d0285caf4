import type { Config } from '../config.ts';

/**
 * Which Redis the bot talks to: one server (REDIS_URL), a master found through Sentinel
 * (REDIS_SENTINELS), or a Redis Cluster (REDIS_CLUSTER_NODES). Every role builds its connections
 * from this, so a process never mixes modes.
 */

export interface RedisNode {
  host: string;
  port: number;
}

export type RedisTopology =
  | { mode: 'single'; url: string }
  | {
      mode: 'sentinel';
      sentinels: RedisNode[];
      /** The master's name as the sentinels know it. */
      name: string;
      username?: string;
      password?: string;
      sentinelPassword?: string;
    }
  | { mode: 'cluster'; nodes: RedisNode[]; username?: string; password?: string };

export type RedisMode = RedisTopology['mode'];

export type RedisTopologyConfig = Pick<
  Config,
  'REDIS_URL' | 'REDIS_SENTINELS' | 'REDIS_SENTINEL_NAME' | 'REDIS_CLUSTER_NODES' | 'REDIS_USERNAME' | 'REDIS_PASSWORD' | 'REDIS_SENTINEL_PASSWORD'
>;

/** Cluster wins over Sentinel wins over the URL (the config refuses both lists at once). */
export function redisTopologyFromConfig(config: RedisTopologyConfig): RedisTopology {
  const auth = {
    ...(config.REDIS_USERNAME ? { username: config.REDIS_USERNAME } : {}),
    ...(config.REDIS_PASSWORD ? { password: config.REDIS_PASSWORD } : {}),
  };
  if (config.REDIS_CLUSTER_NODES.length > 0) return { mode: 'cluster', nodes: config.REDIS_CLUSTER_NODES, ...auth };
  if (config.REDIS_SENTINELS.length > 0) {
    return {
      mode: 'sentinel',
      sentinels: config.REDIS_SENTINELS,
      name: config.REDIS_SENTINEL_NAME,
      ...auth,
      ...(config.REDIS_SENTINEL_PASSWORD ? { sentinelPassword: config.REDIS_SENTINEL_PASSWORD } : {}),
    };
  }
  return { mode: 'single', url: config.REDIS_URL };
}

export function formatNodes(nodes: RedisNode[]): string {
  return nodes.map((node) => `${node.host.includes(':') ? `[${node.host}]` : node.host}:${node.port}`).join(', ');
}
