import type { Cluster, Redis } from 'ioredis';
import type { UsageReader, UsageRecord, UsageReport, UsageTotals } from './types.ts';

/** @defaultValue 90 days of history per key. */
const RETENTION_SECONDS = 90 * 86_400;

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

/** Daily counters in Redis hashes: one per user and one per channel, expiring after the retention. */
export class UsageStore implements UsageReader {
  private readonly redis: Redis | Cluster;
  private readonly prefix: string;

  constructor(options: { redis: Redis | Cluster; prefix: string }) {
    this.redis = options.redis;
    this.prefix = options.prefix;
  }

  private userKey(day: string, scope: { platform: string; workspaceId: string; userId: string }): string {
    return `${this.prefix}:usage:${day}:user:${scope.platform}:${scope.workspaceId}:${scope.userId}`;
  }

  private channelKey(day: string, scope: { platform: string; workspaceId: string; channelId: string }): string {
    return `${this.prefix}:usage:${day}:channel:${scope.platform}:${scope.workspaceId}:${scope.channelId}`;
  }

  async record(record: UsageRecord): Promise<void> {
    const day = isoDay(record.at ?? new Date());
    const pipeline = this.redis.multi();
    for (const key of [this.userKey(day, record), this.channelKey(day, record)]) {
      pipeline.hincrby(key, 'requests', record.requests);
      pipeline.hincrby(key, 'inputTokens', record.inputTokens);
      pipeline.hincrby(key, 'outputTokens', record.outputTokens);
      pipeline.expire(key, RETENTION_SECONDS);
    }
    await pipeline.exec();
  }

  async report(
    scope: { platform: string; workspaceId: string; channelId: string; userId: string },
    days = 7,
  ): Promise<UsageReport> {
    const now = Date.now();
    const dayNames = Array.from({ length: days }, (_, index) => isoDay(new Date(now - index * 86_400_000)));
    const pipeline = this.redis.multi();
    for (const day of dayNames) {
      pipeline.hgetall(this.userKey(day, scope));
      pipeline.hgetall(this.channelKey(day, scope));
    }
    const results = (await pipeline.exec()) ?? [];
    const totals = (index: number): UsageTotals => {
      const hash = (results[index]?.[1] ?? {}) as Record<string, string>;
      return {
        requests: Number(hash.requests ?? 0),
        inputTokens: Number(hash.inputTokens ?? 0),
        outputTokens: Number(hash.outputTokens ?? 0),
      };
    };
    return { days: dayNames.map((day, index) => ({ day, user: totals(index * 2), channel: totals(index * 2 + 1) })) };
  }
}
