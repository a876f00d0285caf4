import type { Cluster, Redis } from 'ioredis';
import type { ResolvedLimits, ScopeKind } from './budget-limits.ts';
import { BUDGET_PERIODS, periodId, periodTtlSeconds, type BudgetPeriod } from './budget-periods.ts';
import { runScript, scriptSha } from './lua.ts';

/**
 * Spend per scope and period: one Redis hash per (scope, period) holding nano-dollars and tokens
 * committed, reservations of running rounds included. Reserving checks every limit and adds to
 * every counter in one Lua call, so two workers cannot both take the last of a budget.
 */

export interface LedgerScope {
  kind: ScopeKind;
  /** `discord:G1:U1`, `slack:T1:C1`, `discord:G1`. */
  id: string;
  limits: ResolvedLimits;
}

export interface LedgerLine {
  key: string;
  kind: ScopeKind;
  id: string;
  period: BudgetPeriod;
  /** Nano-dollars; -1 = no limit. */
  usdLimit: number;
  /** -1 = no limit. */
  tokenLimit: number;
}

export interface Hold {
  lines: LedgerLine[];
  nano: number;
  tokens: number;
}

export interface LedgerShortfall {
  line: LedgerLine;
  unit: 'usd' | 'tokens';
  spent: number;
  limit: number;
}

export type ReserveResult = { ok: true; hold: Hold } | { ok: false; shortfall: LedgerShortfall };

// KEYS: counters. ARGV: nano, tokens, then per key: usd limit, token limit, ttl seconds (-1 = no limit).
const RESERVE = `
local nano = tonumber(ARGV[1])
local tokens = tonumber(ARGV[2])
for i, key in ipairs(KEYS) do
  local base = 2 + (i - 1) * 3
  local usd_limit = tonumber(ARGV[base + 1])
  local token_limit = tonumber(ARGV[base + 2])
  if usd_limit >= 0 then
    local spent = tonumber(redis.call('HGET', key, 'nano') or '0')
    if spent + nano > usd_limit then return {i, 'usd', tostring(spent)} end
  end
  if token_limit >= 0 then
    local spent = tonumber(redis.call('HGET', key, 'tokens') or '0')
    if spent + tokens > token_limit then return {i, 'tokens', tostring(spent)} end
  end
end
for i, key in ipairs(KEYS) do
  local base = 2 + (i - 1) * 3
  redis.call('HINCRBY', key, 'nano', nano)
  redis.call('HINCRBY', key, 'tokens', tokens)
  redis.call('EXPIRE', key, tonumber(ARGV[base + 3]))
end
return {0}
`;
const RESERVE_SHA = scriptSha(RESERVE);

export class BudgetLedger {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #now: () => number;

  constructor(options: { redis: Redis | Cluster; prefix: string; now?: () => number }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#now = options.now ?? Date.now;
  }

  /** One line per scope and period, carrying the limits that apply now. */
  lines(scopes: readonly LedgerScope[], at = this.#now()): LedgerLine[] {
    return scopes.flatMap((scope) =>
      BUDGET_PERIODS.map((period) => ({
        key: this.counterKey(scope.kind, scope.id, period, at),
        kind: scope.kind,
        id: scope.id,
        period,
        usdLimit: scope.limits.usd[period] ?? -1,
        tokenLimit: scope.limits.tokens[period] ?? -1,
      })),
    );
  }

  counterKey(kind: ScopeKind, id: string, period: BudgetPeriod, at = this.#now()): string {
    return `${this.#prefix}:gov:spend:${kind}:${id}:${periodId(period, at)}`;
  }

  /** Takes `nano` and `tokens` from every line, or nothing when any line would pass its limit. */
  async reserve(lines: readonly LedgerLine[], nano: number, tokens: number): Promise<ReserveResult> {
    const args: Array<string | number> = [Math.round(nano), Math.round(tokens)];
    for (const line of lines) args.push(line.usdLimit, line.tokenLimit, periodTtlSeconds(line.period));
    const result = (await runScript(this.#redis, RESERVE, RESERVE_SHA, lines.map((line) => line.key), args)) as [number, string?, string?];
    const index = Number(result[0]);
    if (index === 0) return { ok: true, hold: { lines: [...lines], nano: Math.round(nano), tokens: Math.round(tokens) } };
    const line = lines[index - 1] as LedgerLine;
    const unit = result[1] === 'tokens' ? 'tokens' : 'usd';
    return { ok: false, shortfall: { line, unit, spent: Number(result[2]), limit: unit === 'usd' ? line.usdLimit : line.tokenLimit } };
  }

  /** Replaces a hold by what was really spent (less, more, or nothing), on the same counters. */
  async settle(hold: Hold, nano: number, tokens: number): Promise<void> {
    const deltaNano = Math.round(nano) - hold.nano;
    const deltaTokens = Math.round(tokens) - hold.tokens;
    hold.nano = Math.round(nano);
    hold.tokens = Math.round(tokens);
    if (deltaNano === 0 && deltaTokens === 0) return;
    const transaction = this.#redis.multi();
    for (const line of hold.lines) {
      transaction.hincrby(line.key, 'nano', deltaNano);
      transaction.hincrby(line.key, 'tokens', deltaTokens);
      transaction.expire(line.key, periodTtlSeconds(line.period));
    }
    await transaction.exec();
  }

  /** Committed nano-dollars and tokens per line (reservations of running answers included). */
  async spent(lines: readonly LedgerLine[]): Promise<Array<{ nano: number; tokens: number }>> {
    if (lines.length === 0) return [];
    const pipeline = this.#redis.pipeline();
    for (const line of lines) pipeline.hmget(line.key, 'nano', 'tokens');
    const results = (await pipeline.exec()) ?? [];
    return results.map(([error, value]) => {
      if (error) throw error;
      const [nano, tokens] = (value as Array<string | null>) ?? [];
      return { nano: Number(nano ?? 0), tokens: Number(tokens ?? 0) };
    });
  }

  /** The first line already at or past a limit, if any: the check before a job is enqueued. */
  async exhausted(lines: readonly LedgerLine[]): Promise<LedgerShortfall | undefined> {
    const spent = await this.spent(lines);
    for (const [index, line] of lines.entries()) {
      const used = spent[index] ?? { nano: 0, tokens: 0 };
      if (line.usdLimit >= 0 && used.nano >= line.usdLimit) return { line, unit: 'usd', spent: used.nano, limit: line.usdLimit };
      if (line.tokenLimit >= 0 && used.tokens >= line.tokenLimit) return { line, unit: 'tokens', spent: used.tokens, limit: line.tokenLimit };
    }
    return undefined;
  }
}
