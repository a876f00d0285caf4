import type { Cluster, Redis } from 'ioredis';

/**
 * Threads the bot has answered in, so a reply there without a new @mention is a follow-up
 * (SLACK_THREAD_FOLLOWUPS). Redis in production (shared by every gateway); memory in tests.
 */
export interface AnsweredThreads {
  remember(channel: string, threadTs: string): Promise<void>;
  has(channel: string, threadTs: string): Promise<boolean>;
}

/** @defaultValue seven days */
const DEFAULT_TTL_SECONDS = 7 * 24 * 3600;

export class RedisAnsweredThreads implements AnsweredThreads {
  private readonly redis: Redis | Cluster;
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  constructor(redis: Redis | Cluster, options: { prefix: string; ttlSeconds?: number }) {
    this.redis = redis;
    this.prefix = options.prefix;
    this.ttlSeconds = options.ttlSeconds ?? DEFAULT_TTL_SECONDS;
  }
  private key(channel: string, threadTs: string): string {
    return `${this.prefix}:slack:thread:${channel}:${threadTs}`;
  }
  async remember(channel: string, threadTs: string): Promise<void> {
    await this.redis.set(this.key(channel, threadTs), '1', 'EX', this.ttlSeconds);
  }
  async has(channel: string, threadTs: string): Promise<boolean> {
    return (await this.redis.exists(this.key(channel, threadTs))) === 1;
  }
}

/** One process only; bounded, oldest forgotten first. */
export class MemoryAnsweredThreads implements AnsweredThreads {
  private readonly entries = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly ttlMs: number;
  constructor(options: { maxEntries?: number; ttlSeconds?: number } = {}) {
    this.maxEntries = options.maxEntries ?? 10_000;
    this.ttlMs = (options.ttlSeconds ?? DEFAULT_TTL_SECONDS) * 1000;
  }
  async remember(channel: string, threadTs: string): Promise<void> {
    const key = `${channel}:${threadTs}`;
    this.entries.delete(key);
    this.entries.set(key, Date.now() + this.ttlMs);
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest === undefined) break;
      this.entries.delete(oldest);
    }
  }
  async has(channel: string, threadTs: string): Promise<boolean> {
    const expires = this.entries.get(`${channel}:${threadTs}`);
    return expires !== undefined && expires > Date.now();
  }
}
