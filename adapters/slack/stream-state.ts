import type { Cluster, Redis } from 'ioredis';

/**
 * What has been appended to each native stream, so the next snapshot appends only the difference.
 * In Redis when the worker runs as several processes: a job retried or recovered on another
 * worker then continues the same stream exactly instead of appending its text a second time.
 */

export interface StreamState {
  /** `streaming`: appends go to the stream; `updated`: stopped, edited with chat.update. */
  phase: 'streaming' | 'updated';
  /** Neutralized markdown appended so far. */
  sent: string;
  /** Tool id → last state sent as a task update. */
  tools: Record<string, string>;
}

export interface StreamStateStore {
  get(key: string): Promise<StreamState | undefined>;
  set(key: string, state: StreamState): Promise<void>;
  clear(): Promise<void>;
}

/** One process; the oldest streams are forgotten first. */
export class MemoryStreamStateStore implements StreamStateStore {
  private readonly states = new Map<string, StreamState>();
  private readonly maxEntries: number;
  constructor(maxEntries = 10_000) {
    this.maxEntries = maxEntries;
  }
  async get(key: string): Promise<StreamState | undefined> {
    const state = this.states.get(key);
    return state ? structuredClone(state) : undefined;
  }
  async set(key: string, state: StreamState): Promise<void> {
    this.states.delete(key);
    this.states.set(key, structuredClone(state));
    while (this.states.size > this.maxEntries) {
      const oldest = this.states.keys().next().value;
      if (oldest === undefined) break;
      this.states.delete(oldest);
    }
  }
  async clear(): Promise<void> {
    this.states.clear();
  }
}

/** Shared by every worker; entries expire after an hour (Slack ends streams long before). */
export class RedisStreamStateStore implements StreamStateStore {
  private readonly redis: Redis | Cluster;
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  constructor(redis: Redis | Cluster, options: { prefix: string; ttlSeconds?: number }) {
    this.redis = redis;
    this.prefix = options.prefix;
    this.ttlSeconds = options.ttlSeconds ?? 3600;
  }
  private key(key: string): string {
    return `${this.prefix}:slack:stream:${key}`;
  }
  async get(key: string): Promise<StreamState | undefined> {
    const raw = await this.redis.get(this.key(key));
    if (!raw) return undefined;
    try {
      return JSON.parse(raw) as StreamState;
    } catch {
      return undefined;
    }
  }
  async set(key: string, state: StreamState): Promise<void> {
    await this.redis.set(this.key(key), JSON.stringify(state), 'EX', this.ttlSeconds);
  }
  async clear(): Promise<void> {
    // Entries expire on their own; nothing process-local to drop.
  }
}
