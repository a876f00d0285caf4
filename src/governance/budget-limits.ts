import type { Cluster, Redis } from 'ioredis';
import type { BudgetPeriod } from './budget-periods.ts';
import type { GovernanceConfig, Limits } from './governance-config.ts';
import { usdToNano } from './money.ts';

/** Whose spending a limit caps. */
export type ScopeKind = 'user' | 'channel' | 'workspace';

/** Where a limit set by command applies: one user, every user without their own, one channel, or the workspace. */
export type LimitTarget = { kind: 'user'; id: string } | { kind: 'everyone' } | { kind: 'channel'; id: string } | { kind: 'workspace' };

export type LimitMetric = 'dailyUsd' | 'monthlyUsd' | 'dailyTokens' | 'monthlyTokens';
export const LIMIT_METRICS: readonly LimitMetric[] = ['dailyUsd', 'monthlyUsd', 'dailyTokens', 'monthlyTokens'];

/** One scope's limits: nano-dollars and tokens per period; absent means no limit. */
export interface ResolvedLimits {
  usd: Partial<Record<BudgetPeriod, number>>;
  tokens: Partial<Record<BudgetPeriod, number>>;
}

export interface LimitsScope {
  platform: string;
  workspaceId: string;
  channelId: string;
  userId: string;
}

/** A stored "none": an explicit "no limit" that hides a configured one. */
const NONE = 'none';

export function metricOf(period: BudgetPeriod, unit: 'usd' | 'tokens'): LimitMetric {
  return `${period === 'day' ? 'daily' : 'monthly'}${unit === 'usd' ? 'Usd' : 'Tokens'}` as LimitMetric;
}

/**
 * Limits from the config file, overridden field by field by limits admins set with commands (one
 * Redis hash per workspace; usd in nano-dollars, or `none`).
 */
export class BudgetLimits {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #config: GovernanceConfig['budgets'];

  constructor(options: { redis: Redis | Cluster; prefix: string; config: GovernanceConfig['budgets'] }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#config = options.config;
  }

  /** The limits for the asker, their channel and their workspace. */
  async resolve(scope: LimitsScope): Promise<Record<ScopeKind, ResolvedLimits>> {
    const stored = await this.#redis.hgetall(this.#key(scope));
    const config = this.#config;
    return {
      user: combine([config.user, config.users[scope.userId]], [storedFor(stored, 'everyone'), storedFor(stored, `user:${scope.userId}`)]),
      channel: combine([config.channel, config.channels[scope.channelId]], [storedFor(stored, `channel:${scope.channelId}`)]),
      workspace: combine([config.workspace, config.workspaces[scope.workspaceId]], [storedFor(stored, 'workspace')]),
    };
  }

  /** What commands stored for one target (config not included): metric → nano-dollars / tokens / null for "none". */
  async stored(scope: Pick<LimitsScope, 'platform' | 'workspaceId'>, target: LimitTarget): Promise<Partial<Record<LimitMetric, number | null>>> {
    return storedFor(await this.#redis.hgetall(this.#key(scope)), targetField(target));
  }

  /** Every limit stored for the workspace, by target field (`user:U1`, `everyone`, `channel:C1`, `workspace`). */
  async storedAll(scope: Pick<LimitsScope, 'platform' | 'workspaceId'>): Promise<Map<string, Partial<Record<LimitMetric, number | null>>>> {
    const hash = await this.#redis.hgetall(this.#key(scope));
    const targets = new Set(Object.keys(hash).map((field) => field.slice(0, field.lastIndexOf('|'))));
    return new Map([...targets].map((target) => [target, storedFor(hash, target)]));
  }

  /** Sets (a number, or null for "no limit") or clears (undefined) one metric; returns the stored value before. */
  async set(scope: Pick<LimitsScope, 'platform' | 'workspaceId'>, target: LimitTarget, metric: LimitMetric, value: number | null | undefined): Promise<number | null | undefined> {
    const key = this.#key(scope);
    const field = `${targetField(target)}|${metric}`;
    const before = await this.#redis.hget(key, field);
    if (value === undefined) await this.#redis.hdel(key, field);
    else await this.#redis.hset(key, field, value === null ? NONE : String(Math.round(value)));
    return before === null ? undefined : before === NONE ? null : Number(before);
  }

  #key(scope: Pick<LimitsScope, 'platform' | 'workspaceId'>): string {
    return `${this.#prefix}:gov:limits:${encodeURIComponent(scope.platform)}:${encodeURIComponent(scope.workspaceId)}`;
  }
}

export function targetField(target: LimitTarget): string {
  return target.kind === 'user' || target.kind === 'channel' ? `${target.kind}:${target.id}` : target.kind;
}

function storedFor(hash: Record<string, string>, target: string): Partial<Record<LimitMetric, number | null>> {
  const result: Partial<Record<LimitMetric, number | null>> = {};
  for (const metric of LIMIT_METRICS) {
    const value = hash[`${target}|${metric}`];
    if (value !== undefined) result[metric] = value === NONE ? null : Number(value);
  }
  return result;
}

/** Config limits (dollars), then stored ones (nano-dollars), later ones winning per metric. */
function combine(configured: ReadonlyArray<Limits | undefined>, stored: ReadonlyArray<Partial<Record<LimitMetric, number | null>>>): ResolvedLimits {
  const values: Partial<Record<LimitMetric, number | null>> = {};
  for (const limits of configured) {
    if (!limits) continue;
    if (limits.dailyUsd !== undefined) values.dailyUsd = usdToNano(limits.dailyUsd);
    if (limits.monthlyUsd !== undefined) values.monthlyUsd = usdToNano(limits.monthlyUsd);
    if (limits.dailyTokens !== undefined) values.dailyTokens = limits.dailyTokens;
    if (limits.monthlyTokens !== undefined) values.monthlyTokens = limits.monthlyTokens;
  }
  for (const layer of stored) Object.assign(values, layer);
  const resolved: ResolvedLimits = { usd: {}, tokens: {} };
  const put = (unit: 'usd' | 'tokens', period: BudgetPeriod, value: number | null | undefined) => {
    if (typeof value === 'number') resolved[unit][period] = value;
  };
  put('usd', 'day', values.dailyUsd);
  put('usd', 'month', values.monthlyUsd);
  put('tokens', 'day', values.dailyTokens);
  put('tokens', 'month', values.monthlyTokens);
  return resolved;
}
