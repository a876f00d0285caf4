import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import { systemClock, type Clock } from './clock.ts';
import { LocalWritePacer, MAX_PERMIT_WAIT_MS, spares, TICKET_LEASE_MS } from './local-write-pacer.ts';
import { RecentGrants } from './recent-grants.ts';
import { describeError, silentLog, type RenderLog } from './render-log.ts';
import { ADAPT, CLASS_HANDICAP_MS, JOIN_LEASE_MS, RESERVED_FOR_PRIORITY, STALE_GRANT_RETRY_MS, freshGrantMs, pacedWindowMs, sendableGrantMs, type PermitRequest, type WriteBudget, type WritePacer } from './write-budget.ts';

/**
 * The steps of `budget-state.ts` and `local-write-pacer.ts`, atomically in Redis on Redis's own
 * clock, so every worker (on machines with skewed clocks too) shares one budget per platform scope
 * and one line of waiting writes per first budget.
 *
 * KEYS: the first budget's waiting line (sorted set ticket → rank), its leases (ticket → expiry),
 * the tickets' waiting starts (hash), then one state string per budget:
 * "holdUntil factor streak tokens updatedAt grant grant ...". Every key starts with the pacer's
 * prefix, so a hash-tagged prefix keeps them in one Redis Cluster slot.
 * ARGV: mode (acquire | try | hold | withdraw | giveback | restamp | join), ticket, a number (the class handicap, the spare
 * tokens, or the hold in ms), the tokens an acquire must leave ({@link RESERVED_FOR_PRIORITY}),
 * then per budget: limit, window ms (stretched for `window` budgets), kind (w | b), adaptive (0 | 1),
 * and the tokens a `try` must leave in it.
 * Returns: acquire → the ms to wait, or { 0, Redis's time, the ticket's waiting start } when granted;
 * try → { 1, Redis's time } when granted, 0 not; restamp → { 1, Redis's time } when moved, 0 when
 * given back; others → 0.
 * ARGV of giveback and restamp: the grant's time and the ticket's waiting start in place of the
 * handicap and reserve.
 */
const PACE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local mode = ARGV[1]
local ticket = ARGV[2]
local number = tonumber(ARGV[3])
local reserve = tonumber(ARGV[4])
local nbudgets = #KEYS - 3
local LEASE = ${TICKET_LEASE_MS}
local MAXWAIT = ${MAX_PERMIT_WAIT_MS}

local budgets = {}
for index = 1, nbudgets do
  local base = 4 + (index - 1) * 5
  local b = { key = KEYS[3 + index], limit = tonumber(ARGV[base + 1]), window = tonumber(ARGV[base + 2]), kind = ARGV[base + 3], adaptive = ARGV[base + 4] == '1', spare = tonumber(ARGV[base + 5]) }
  local raw = redis.call('GET', b.key)
  b.hold = 0
  b.factor = 1
  b.streak = 0
  b.tokens = b.limit
  b.updated = now
  b.log = {}
  if raw then
    local values = {}
    for token in string.gmatch(raw, '%S+') do table.insert(values, tonumber(token)) end
    b.hold, b.factor, b.streak, b.tokens, b.updated = values[1], values[2], values[3], values[4], values[5]
    for position = 6, #values do table.insert(b.log, values[position]) end
  end
  local factor = 1
  if b.adaptive then factor = b.factor end
  b.cap = math.max(1, math.floor(b.limit * factor))
  if b.kind == 'w' then
    local kept = {}
    for _, at in ipairs(b.log) do
      if at + b.window > now then table.insert(kept, at) end
    end
    while #kept > b.cap do table.remove(kept, 1) end
    b.log = kept
  else
    local elapsed = now - b.updated
    if elapsed < 0 then elapsed = 0 end
    b.tokens = math.min(b.cap, b.tokens + elapsed * b.cap / b.window)
    b.updated = now
  end
  budgets[index] = b
end

local function available(b)
  if b.hold > now then return 0 end
  if b.kind == 'w' then return math.max(0, b.cap - #b.log) end
  return math.max(0, math.floor(b.tokens + 1e-9))
end

local function untilCount(b, count)
  local held = math.max(0, b.hold - now)
  local wait = 0
  if b.kind == 'w' then
    local missing = count - (b.cap - #b.log)
    if missing > 0 then
      local entry = b.log[missing]
      if entry then wait = entry + b.window - now else wait = b.window end
    end
  else
    local missing = count - b.tokens
    if missing > 0 then wait = missing * b.window / b.cap end
  end
  return math.max(held, wait)
end

local function take(b)
  if b.kind == 'w' then table.insert(b.log, now) else b.tokens = b.tokens - 1 end
  b.streak = b.streak + 1
  if b.adaptive and b.streak >= ${ADAPT.raiseAfterGrants} then
    b.factor = math.min(${ADAPT.maxFactor}, b.factor + 1 / b.limit)
    b.streak = 0
  end
end

local function save(b)
  local parts = { string.format('%d', b.hold), string.format('%.6f', b.factor), string.format('%d', b.streak), string.format('%.6f', b.tokens), string.format('%d', b.updated) }
  for _, at in ipairs(b.log) do table.insert(parts, string.format('%d', at)) end
  local ttl = b.window * 2
  if b.hold - now + b.window > ttl then ttl = b.hold - now + b.window end
  -- A learned factor outlives quiet spells.
  if b.factor ~= 1 then ttl = 3600000 end
  redis.call('SET', b.key, table.concat(parts, ' '), 'PX', math.floor(ttl) + 1)
end

local queue, leases, starts = KEYS[1], KEYS[2], KEYS[3]
local function purge()
  local expired = redis.call('ZRANGEBYSCORE', leases, '-inf', now)
  for _, member in ipairs(expired) do
    redis.call('ZREM', queue, member)
    redis.call('ZREM', leases, member)
    redis.call('HDEL', starts, member)
  end
end
local function forget(member)
  redis.call('ZREM', queue, member)
  redis.call('ZREM', leases, member)
  redis.call('HDEL', starts, member)
end

if mode == 'withdraw' then
  forget(ticket)
  return 0
end

-- An answer that has begun takes its place in line as a first text, without a token.
if mode == 'join' then
  purge()
  if not redis.call('ZSCORE', queue, ticket) then
    redis.call('HSET', starts, ticket, now)
    redis.call('ZADD', queue, now + number, ticket)
    redis.call('ZADD', leases, now + ${JOIN_LEASE_MS}, ticket)
    for _, key in ipairs({ queue, leases, starts }) do redis.call('PEXPIRE', key, ${JOIN_LEASE_MS} + LEASE) end
  end
  return 0
end

-- The ticket asks again after its grant went back: it keeps the place in line it had waited for.
local function keepPlace(since)
  if ticket == '' then return end
  redis.call('HSET', starts, ticket, since)
  redis.call('ZADD', leases, now + LEASE, ticket)
  for _, key in ipairs({ leases, starts }) do redis.call('PEXPIRE', key, LEASE * 2) end
end
local function findGrant(b, at)
  for position, logged in ipairs(b.log) do
    if logged == at then return position end
  end
  return nil
end

-- A grant its writer will not use (it came back too late): the token returns to every budget
-- (ARGV[3] the grant's time, ARGV[4] the ticket's waiting start).
if mode == 'giveback' then
  for _, b in ipairs(budgets) do
    if b.kind == 'w' then
      local position = findGrant(b, number)
      if position then table.remove(b.log, position) end
    else
      b.tokens = math.min(b.cap, b.tokens + 1)
    end
    save(b)
  end
  keepPlace(reserve)
  return 0
end

-- A grant whose request leaves only now (same ARGV as giveback): each window budget's token moves
-- from the grant's time to now, which no window that counted it can mind, since it stays inside
-- every window it was in. A token already out of its window cannot move (a window that never
-- counted it may be full now): a fresh one is taken if there is room, else every token goes back
-- and the ticket asks again. A bucket's token stays spent: taken early, it only leaves the bucket
-- fuller later.
if mode == 'restamp' then
  local movable = true
  for _, b in ipairs(budgets) do
    if b.kind == 'w' then
      b.position = findGrant(b, number)
      if not b.position and available(b) < 1 then movable = false end
    end
  end
  for _, b in ipairs(budgets) do
    if b.position then table.remove(b.log, b.position) end
    if movable then
      if b.kind == 'w' then table.insert(b.log, now) end
    elseif b.kind == 'b' then
      b.tokens = math.min(b.cap, b.tokens + 1)
    end
    save(b)
  end
  if movable then return { 1, now } end
  keepPlace(reserve)
  return 0
end

if mode == 'hold' then
  for _, b in ipairs(budgets) do
    if now + number > b.hold then b.hold = now + number end
    if b.kind == 'b' and b.tokens > 0 then b.tokens = 0 end
    if b.adaptive then
      if b.factor > 1 then
        b.factor = math.max(1, b.factor - ${ADAPT.stepsBackOn429} / b.limit)
      else
        b.factor = math.max(${ADAPT.minFactor}, b.factor * ${ADAPT.shrinkAtFloor})
      end
      b.streak = 0
    end
    save(b)
  end
  return 0
end

purge()

if mode == 'try' then
  if redis.call('ZCARD', queue) > 0 then return 0 end
  for _, b in ipairs(budgets) do
    if available(b) < 1 + b.spare then return 0 end
  end
  for _, b in ipairs(budgets) do
    take(b)
    save(b)
  end
  return { 1, now }
end

-- acquire
local since = tonumber(redis.call('HGET', starts, ticket)) or now
local rank = since + number
redis.call('HSET', starts, ticket, since)
redis.call('ZADD', queue, rank, ticket)
local ahead = redis.call('ZRANK', queue, ticket)
local granted = true
local wait = 0
for index, b in ipairs(budgets) do
  local need = 1 + reserve
  if index == 1 then need = ahead + 1 + reserve end
  if available(b) < need then
    granted = false
    local w = untilCount(b, need)
    if w > wait then wait = w end
  end
end
if granted then
  for _, b in ipairs(budgets) do
    take(b)
    save(b)
  end
  forget(ticket)
  return { 0, now, since }
end
wait = math.min(MAXWAIT, math.max(1, math.ceil(wait)))
redis.call('ZADD', leases, now + wait + LEASE, ticket)
for _, key in ipairs({ queue, leases, starts }) do redis.call('PEXPIRE', key, wait + LEASE * 2) end
for _, b in ipairs(budgets) do save(b) end
return wait
`;
const PACE_SCRIPT_SHA = createHash('sha1').update(PACE_SCRIPT).digest('hex');

export interface RedisWritePacerOptions {
  /** A connected (or lazily connecting) ioredis client; the pacer never closes it. */
  redis: Redis | Cluster;
  /** Every key is `${prefix}:pace:…`. */
  prefix: string;
  /**
   * A call Redis has not answered in this long is made locally instead. Generous: local pacing does
   * not know what other workers were granted, so it risks 429s; a busy event loop alone can delay a
   * reply by a few hundred ms. @defaultValue 1_000
   */
  timeoutMs?: number;
  /** After a failure, pace locally this long before trying Redis again. @defaultValue 5_000 */
  retryRedisAfterMs?: number;
  /** Paces while Redis is unavailable. @defaultValue a new {@link LocalWritePacer} on `clock` */
  fallback?: WritePacer;
  /** @defaultValue systemClock */
  clock?: Clock;
  /** Epoch milliseconds, compared with Redis's time to tell how late a grant arrived. @defaultValue Date.now */
  wallClock?: () => number;
  /** @defaultValue silent */
  log?: RenderLog;
}

/** Moves of a grant whose replies keep arriving late before its tokens go back (`sendingNow`). */
const MAX_GRANT_MOVES = 3;

class PaceTimeoutError extends Error {
  override name = 'PaceTimeoutError';
}

type Mode = 'acquire' | 'try' | 'hold' | 'withdraw' | 'giveback' | 'restamp' | 'join';

/**
 * Shares every platform budget, and the line of writes waiting for it, between all worker
 * processes through Redis: one round trip per request, and only when a message has something to
 * send. When Redis is unreachable it paces locally rather than stall answers, and says so once
 * (and once more when Redis is back).
 */
export class RedisWritePacer implements WritePacer {
  private readonly redis: Redis | Cluster;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly retryRedisAfterMs: number;
  private readonly fallback: WritePacer;
  private readonly clock: Clock;
  private readonly wallClock: () => number;
  private readonly log: RenderLog;
  private localUntil = -Infinity;
  /** The last failure came while the connection was down (not a slow reply on a live one). */
  private failedDisconnected = false;
  private degraded = false;
  /** Each ticket's last grant: Redis's stamp, the ticket's waiting start, and its age on arrival. */
  private readonly grants = new RecentGrants<{ at: number; since: number; ageMs: number }>();

  constructor(options: RedisWritePacerOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix;
    this.timeoutMs = options.timeoutMs ?? 1_000;
    this.retryRedisAfterMs = options.retryRedisAfterMs ?? 5_000;
    this.clock = options.clock ?? systemClock;
    this.wallClock = options.wallClock ?? Date.now;
    this.fallback = options.fallback ?? new LocalWritePacer({ clock: this.clock });
    this.log = options.log ?? silentLog;
  }

  /** The Redis key of a budget's state. */
  keyFor(budgetKey: string): string {
    return `${this.prefix}:pace:${budgetKey}`;
  }

  async acquire(request: PermitRequest): Promise<number> {
    if (request.budgets.length === 0) return 0;
    if (this.local()) return this.fallback.acquire(request);
    try {
      const askedAt = this.clock.now();
      const [wait, grantedAt, since] = await this.run('acquire', request.budgets, request.ticket, CLASS_HANDICAP_MS[request.writeClass], RESERVED_FOR_PRIORITY[request.writeClass]);
      this.recovered();
      if (wait > 0) return wait;
      const ageMs = this.ageOf(askedAt, grantedAt);
      if (grantedAt !== undefined && ageMs <= freshGrantMs(request.budgets)) {
        this.grants.remember(request.ticket, { at: grantedAt, since: since ?? grantedAt, ageMs }, grantedAt);
        return 0;
      }
      // Too late to land where the pacer counted it.
      return await this.handBack(request.budgets, request.ticket, grantedAt ?? 0, since ?? 0);
    } catch (error) {
      this.failed(error);
      return this.fallback.acquire(request);
    }
  }

  async sendingNow(request: PermitRequest, heldMs: number): Promise<number> {
    const grant = this.grants.take(request.ticket);
    // Not granted here: the local pacer's, while Redis was away.
    if (!grant) return (await this.fallback.sendingNow?.(request, heldMs)) ?? 0;
    // Redis went away since: the tokens were taken, and sending on the old stamp risks less than not sending.
    if (grant.ageMs + heldMs <= sendableGrantMs(request.budgets) || this.local()) return 0;
    try {
      let at = grant.at;
      for (let moves = 0; moves < MAX_GRANT_MOVES; moves += 1) {
        const askedAt = this.clock.now();
        const [moved, movedAt] = await this.run('restamp', request.budgets, request.ticket, at, grant.since);
        this.recovered();
        // A token had left its window: all went back, and the write asks again at once, keeping its place.
        if (moved !== 1 || movedAt === undefined) return STALE_GRANT_RETRY_MS;
        // As for a grant: a move that reached us late (a busy event loop) is moved again, never
        // waited for (moving needs no free token), so the write is not held up behind the line.
        if (this.ageOf(askedAt, movedAt) <= sendableGrantMs(request.budgets)) return 0;
        at = movedAt;
      }
      return await this.handBack(request.budgets, request.ticket, at, grant.since);
    } catch (error) {
      this.failed(error);
      return 0;
    }
  }

  async join(request: Omit<PermitRequest, 'writeClass'>): Promise<void> {
    await this.fallback.join?.(request);
    if (request.budgets.length === 0 || this.local()) return;
    try {
      await this.run('join', request.budgets, request.ticket, CLASS_HANDICAP_MS['first-text']);
    } catch {
      // A place in line is advice: losing it costs priority, not correctness, so a failed join does
      // not switch this process to local pacing (grants mixed from Redis and from the local pacer
      // would overrun a budget, say while Redis reconnects after an outage).
    }
  }

  async withdraw(ticket: string, budgets: readonly WriteBudget[]): Promise<void> {
    this.grants.forget(ticket);
    await this.fallback.withdraw(ticket, budgets);
    if (budgets.length === 0 || this.local()) return;
    try {
      await this.run('withdraw', budgets, ticket, 0);
    } catch (error) {
      this.failed(error);
    }
  }

  async tryReserveNow(budgets: readonly WriteBudget[], options: { spare?: number | readonly number[] } = {}): Promise<boolean> {
    if (budgets.length === 0) return true;
    // A write that may be left out is left out while the shared budgets are unknown: granted
    // locally, it would be a write no other process (nor Redis, once back) counts, and after an
    // outage the placeholders granted so would push a channel past its limit.
    if (this.local()) return false;
    try {
      const askedAt = this.clock.now();
      const [granted, grantedAt] = await this.run('try', budgets, '', 0, 0, spares(budgets, options.spare));
      this.recovered();
      if (granted !== 1) return false;
      if (this.ageOf(askedAt, grantedAt) <= freshGrantMs(budgets)) return true;
      // Too late to land where it was counted: the optional write is left out.
      await this.handBack(budgets, '', grantedAt ?? 0, 0);
      return false;
    } catch (error) {
      this.failed(error);
      return false;
    }
  }

  async holdOff(budgets: readonly WriteBudget[], delayMs: number): Promise<void> {
    // The local pacer holds off too, so a fallback in the next seconds still honours the 429.
    await this.fallback.holdOff(budgets, delayMs);
    if (budgets.length === 0 || delayMs <= 0 || this.local()) return;
    try {
      await this.run('hold', budgets, '', Math.ceil(delayMs));
      this.recovered();
    } catch (error) {
      this.failed(error);
    }
  }

  /**
   * A grant that will not be sent (stamped at `at`): its tokens go back to every budget, and the
   * ticket (if any) asks again at once, keeping the place in line it had waited for since `since`.
   */
  private async handBack(budgets: readonly WriteBudget[], ticket: string, at: number, since: number): Promise<number> {
    await this.run('giveback', budgets, ticket, at, since);
    return STALE_GRANT_RETRY_MS;
  }

  /**
   * How long ago Redis stamped a grant that reaches us now; a grant older than its budgets' margin
   * (`freshGrantMs`) is not used. Redis's stamp against our wall clock says how long the reply
   * waited (in a busy event loop, say); the round trip bounds that from above, so a clock skewed
   * ahead of Redis's cannot make every grant look stale (one behind it lets a late grant through,
   * as without this check).
   */
  private ageOf(askedAt: number, grantedAt: number | undefined): number {
    const roundTrip = this.clock.now() - askedAt;
    const sinceGrant = grantedAt === undefined ? roundTrip : this.wallClock() - grantedAt;
    return Math.max(0, Math.min(roundTrip, sinceGrant));
  }

  /**
   * Pacing locally: for `retryRedisAfterMs` after a failure, but no longer than the connection is
   * down when a lost connection was the failure. As soon as it is back every grant comes from Redis
   * again, so grants from the local pacer and from Redis (which knows nothing of the local ones)
   * overlap for as short a time as possible.
   */
  private local(): boolean {
    if (this.clock.now() >= this.localUntil) return false;
    if (this.failedDisconnected && this.redis.status === 'ready') {
      this.localUntil = -Infinity;
      return false;
    }
    return true;
  }

  /** The script's answer, and Redis's time when it granted or moved a grant, and the ticket's waiting start (acquire). */
  private async run(mode: Mode, budgets: readonly WriteBudget[], ticket: string, number: number, reserve = 0, spare: readonly number[] = []): Promise<[number, number | undefined, number | undefined]> {
    const line = this.keyFor(budgets[0]?.key ?? '');
    const keys = [`${line}:q`, `${line}:l`, `${line}:s`, ...budgets.map((budget) => this.keyFor(budget.key))];
    const args: (string | number)[] = [mode, ticket, number, reserve];
    for (const [index, budget] of budgets.entries()) {
      const windowMs = Math.max(1, Math.ceil(pacedWindowMs(budget)));
      args.push(Math.max(1, Math.floor(budget.limit)), windowMs, budget.kind === 'window' ? 'w' : 'b', budget.adaptive ? 1 : 0, spare[index] ?? 0);
    }
    const call = async (): Promise<unknown> => {
      try {
        return await this.redis.evalsha(PACE_SCRIPT_SHA, keys.length, ...keys, ...args);
      } catch (error) {
        // A fresh or flushed server has no copy of the script yet: send it once in full.
        if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
        return await this.redis.eval(PACE_SCRIPT, keys.length, ...keys, ...args);
      }
    };
    const reply = await this.withTimeout(call());
    return Array.isArray(reply) ? [Number(reply[0]), Number(reply[1]), reply[2] === undefined ? undefined : Number(reply[2])] : [Number(reply), undefined, undefined];
  }

  private withTimeout<T>(promise: Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = this.clock.setTimeout(() => reject(new PaceTimeoutError(`Redis did not answer in ${this.timeoutMs} ms`)), this.timeoutMs);
      promise.then(
        (value) => {
          this.clock.clearTimeout(timer);
          resolve(value);
        },
        (error: unknown) => {
          this.clock.clearTimeout(timer);
          reject(error);
        },
      );
    });
  }

  private failed(error: unknown): void {
    this.localUntil = this.clock.now() + this.retryRedisAfterMs;
    this.failedDisconnected = this.redis.status !== 'ready';
    if (this.degraded) return;
    this.degraded = true;
    this.log.warn({ error: describeError(error) }, 'write pacing falls back to this process: Redis is unavailable');
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.log.info({}, 'write pacing is shared through Redis again');
  }
}
