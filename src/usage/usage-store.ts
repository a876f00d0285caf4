import type { Cluster, Redis } from 'ioredis';
import type { UsageRankKind, UsageReader, UsageRecord, UsageReport, UsageRow, UsageTotals } from './types.ts';

/** @defaultValue 90 days of history per key. */
const RETENTION_SECONDS = 90 * 86_400;
const FIELDS = ['requests', 'inputTokens', 'outputTokens', 'cachedInputTokens', 'costNanoUsd', 'images'] as const;
const SEPARATOR = '\t';

function isoDay(date: Date): string {
  return date.toISOString().slice(0, 10);
}

export function emptyTotals(): UsageTotals {
  return { requests: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costNanoUsd: 0, images: 0 };
}

/**
 * Daily counters in Redis hashes (one per user, channel, and model in a workspace), and per day a
 * sorted set of who spent what, so "top users this week" reads a handful of keys, not a scan.
 */
export class UsageStore implements UsageReader {
  private readonly redis: Redis | Cluster | Cluster;
  private readonly prefix: string;
  private readonly now: () => number;

  constructor(options: { redis: Redis | Cluster; prefix: string; now?: () => number }) {
    this.redis = options.redis;
    this.prefix = options.prefix;
    this.now = options.now ?? Date.now;
  }

  private member(platform: string, workspaceId: string, id: string): string {
    return [platform, workspaceId, id].join(SEPARATOR);
  }

  private totalsKey(day: string, kind: UsageRankKind, member: string): string {
    return `${this.prefix}:usage:${day}:${kind}:${member.split(SEPARATOR).map(encodeURIComponent).join(':')}`;
  }

  private rankKey(day: string, kind: UsageRankKind): string {
    return `${this.prefix}:usage:${day}:rank:${kind}`;
  }

  async record(record: UsageRecord): Promise<void> {
    const day = isoDay(record.at ?? new Date(this.now()));
    const cost = Math.round(record.costNanoUsd ?? 0);
    const pipeline = this.redis.multi();
    const members: Array<[UsageRankKind, string]> = [
      ['user', this.member(record.platform, record.workspaceId, record.userId)],
      ['channel', this.member(record.platform, record.workspaceId, record.channelId)],
    ];
    if (record.model) members.push(['model', this.member(record.platform, record.workspaceId, record.model)]);
    for (const [kind, member] of members) {
      const key = this.totalsKey(day, kind, member);
      pipeline.hincrby(key, 'requests', record.requests);
      pipeline.hincrby(key, 'inputTokens', record.inputTokens);
      pipeline.hincrby(key, 'outputTokens', record.outputTokens);
      pipeline.hincrby(key, 'cachedInputTokens', record.cachedInputTokens ?? 0);
      pipeline.hincrby(key, 'costNanoUsd', cost);
      if (record.images) pipeline.hincrby(key, 'images', record.images);
      pipeline.expire(key, RETENTION_SECONDS);
      pipeline.zincrby(this.rankKey(day, kind), cost, member);
      pipeline.expire(this.rankKey(day, kind), RETENTION_SECONDS);
    }
    await pipeline.exec();
  }

  private dayNames(days: number): string[] {
    const now = this.now();
    return Array.from({ length: days }, (_, index) => isoDay(new Date(now - index * 86_400_000)));
  }

  async report(scope: { platform: string; workspaceId: string; channelId: string; userId: string }, days = 7): Promise<UsageReport> {
    const dayNames = this.dayNames(days);
    const pipeline = this.redis.multi();
    for (const day of dayNames) {
      pipeline.hgetall(this.totalsKey(day, 'user', this.member(scope.platform, scope.workspaceId, scope.userId)));
      pipeline.hgetall(this.totalsKey(day, 'channel', this.member(scope.platform, scope.workspaceId, scope.channelId)));
    }
    const results = (await pipeline.exec()) ?? [];
    const totals = (index: number): UsageTotals => toTotals((results[index]?.[1] ?? {}) as Record<string, string>);
    return { days: dayNames.map((day, index) => ({ day, user: totals(index * 2), channel: totals(index * 2 + 1) })) };
  }

  async top(kind: UsageRankKind, options: { days: number; limit?: number; workspace?: { platform: string; workspaceId: string } }): Promise<UsageRow[]> {
    const dayNames = this.dayNames(options.days);
    const ranked = await Promise.all(dayNames.map((day) => this.redis.zrange(this.rankKey(day, kind), '0', '-1')));
    const wanted = (member: string) => {
      if (!options.workspace) return true;
      const [platform, workspaceId] = member.split(SEPARATOR);
      return platform === options.workspace.platform && workspaceId === options.workspace.workspaceId;
    };
    const pipeline = this.redis.pipeline();
    const reads: string[] = [];
    for (const [index, day] of dayNames.entries()) {
      for (const member of ranked[index] ?? []) {
        if (!wanted(member)) continue;
        reads.push(member);
        pipeline.hgetall(this.totalsKey(day, kind, member));
      }
    }
    const results = reads.length > 0 ? ((await pipeline.exec()) ?? []) : [];
    const rows = new Map<string, UsageRow>();
    for (const [index, member] of reads.entries()) {
      const [platform = '', workspaceId = '', id = ''] = member.split(SEPARATOR);
      const row = rows.get(member) ?? { kind, platform, workspaceId, id, ...emptyTotals() };
      const day = toTotals((results[index]?.[1] ?? {}) as Record<string, string>);
      for (const field of FIELDS) row[field] += day[field];
      rows.set(member, row);
    }
    const sorted = [...rows.values()].sort((a, b) => b.costNanoUsd - a.costNanoUsd || b.requests - a.requests || a.id.localeCompare(b.id));
    return options.limit === undefined ? sorted : sorted.slice(0, options.limit);
  }
}

function toTotals(hash: Record<string, string>): UsageTotals {
  const totals = emptyTotals();
  for (const field of FIELDS) totals[field] = Number(hash[field] ?? 0);
  return totals;
}
