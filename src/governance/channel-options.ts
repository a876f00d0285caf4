import type { Cluster, Redis } from 'ioredis';

export interface ChannelScope {
  platform: string;
  workspaceId: string;
  channelId: string;
}

/** Per-channel governance options; today one: show each answer's cost in its footer (off by default). */
export class ChannelOptions {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;

  constructor(options: { redis: Redis | Cluster; prefix: string }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
  }

  async showsCost(scope: ChannelScope): Promise<boolean> {
    return (await this.#redis.hget(this.#key(scope), 'showCost')) === '1';
  }

  /** Returns the value before. */
  async setShowCost(scope: ChannelScope, on: boolean): Promise<boolean> {
    const before = await this.showsCost(scope);
    if (on) await this.#redis.hset(this.#key(scope), 'showCost', '1');
    else await this.#redis.hdel(this.#key(scope), 'showCost');
    return before;
  }

  #key(scope: ChannelScope): string {
    return `${this.#prefix}:gov:channel-options:${encodeURIComponent(scope.platform)}:${encodeURIComponent(scope.workspaceId)}:${encodeURIComponent(scope.channelId)}`;
  }
}
