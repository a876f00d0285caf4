import { createHash } from 'node:crypto';
import type { Cluster, Redis } from 'ioredis';
import type { ChannelBudget, ChannelPacer } from './channel-pacer.ts';
import { systemClock, type Clock } from './clock.ts';
import { LocalChannelPacer } from './local-channel-pacer.ts';
import { describeError, silentLog, type RenderLog } from './render-log.ts';

/**
 * The slot arithmetic of `pace-slots.ts` (sliding log, first come first served, even spacing
 * when busy), atomically in Redis, on Redis's own clock so workers on machines with skewed clocks
 * agree. Each state is one string "holdUntil slot slot ...", expiring once it can no longer delay
 * anyone. KEYS: the channel's state, then optionally a shared (bot-wide) state. ARGV:
 * editsPerWindow, windowMs, holdMs (> 0: hold the channel off, no slot), then the shared scope's
 * editsPerWindow and windowMs. Every rule is a lower bound on the slot, so the later of the two
 * scopes' earliest slots satisfies both; it is recorded in both. Returns the wait in ms (0 for a
 * hold-off).
 */
const PACE_SCRIPT = `
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local function load(key, window)
  local hold = 0
  local slots = {}
  local raw = redis.call('GET', key)
  if raw then
    local first = true
    for token in string.gmatch(raw, '%d+') do
      local value = tonumber(token)
      if first then
        hold = value
        first = false
      elseif value + window > now then
        table.insert(slots, value)
      end
    end
  end
  return hold, slots
end

local function plan(hold, slots, limit, window)
  while #slots > limit do table.remove(slots, 1) end
  local slot = now
  if hold > slot then slot = hold end
  if #slots > 0 and slots[#slots] > slot then slot = slots[#slots] end
  if #slots == limit and slots[1] + window > slot then slot = slots[1] + window end
  if slot > now and #slots > 0 and slots[#slots] + window / limit > slot then
    slot = math.ceil(slots[#slots] + window / limit)
  end
  return slot
end

local function save(key, hold, slots, limit, window)
  while #slots > limit do table.remove(slots, 1) end
  local parts = { string.format('%d', hold) }
  local last = now
  for _, value in ipairs(slots) do
    table.insert(parts, string.format('%d', value))
    if value > last then last = value end
  end
  if hold > last then last = hold end
  redis.call('SET', key, table.concat(parts, ' '), 'PX', math.floor(last - now + window) + 1)
end

local limit = math.max(1, math.floor(tonumber(ARGV[1])))
local window = tonumber(ARGV[2])
local holdMs = tonumber(ARGV[3])
local hold, slots = load(KEYS[1], window)
if holdMs > 0 then
  if now + holdMs > hold then hold = now + holdMs end
  save(KEYS[1], hold, slots, limit, window)
  return 0
end
local slot = plan(hold, slots, limit, window)
if #KEYS > 1 then
  local sharedLimit = math.max(1, math.floor(tonumber(ARGV[4])))
  local sharedWindow = tonumber(ARGV[5])
  local sharedHold, sharedSlots = load(KEYS[2], sharedWindow)
  local sharedSlot = plan(sharedHold, sharedSlots, sharedLimit, sharedWindow)
  if sharedSlot > slot then slot = sharedSlot end
  table.insert(sharedSlots, slot)
  save(KEYS[2], sharedHold, sharedSlots, sharedLimit, sharedWindow)
end
table.insert(slots, slot)
save(KEYS[1], hold, slots, limit, window)
return slot - now
`;
const PACE_SCRIPT_SHA = createHash('sha1').update(PACE_SCRIPT).digest('hex');

export interface RedisChannelPacerOptions {
  /** A connected (or lazily connecting) ioredis client; the pacer never closes it. */
  redis: Redis | Cluster;
  /** Keys are `${prefix}:pace:${channelKey}`. */
  prefix: string;
  /** A reservation Redis has not answered in this long is made locally instead. @defaultValue 250 */
  timeoutMs?: number;
  /** After a failure, pace locally this long before trying Redis again. @defaultValue 5_000 */
  retryRedisAfterMs?: number;
  /** Paces while Redis is unavailable. @defaultValue a new {@link LocalChannelPacer} on `clock` */
  fallback?: ChannelPacer;
  /** @defaultValue systemClock */
  clock?: Clock;
  /** @defaultValue silent */
  log?: RenderLog;
}

class PaceTimeoutError extends Error {
  override name = 'PaceTimeoutError';
}

/**
 * Shares each channel's write budget between every worker process through Redis. One round trip
 * per reservation, and only when a message has something to send. When Redis is unreachable it
 * paces locally rather than stall answers, and says so once (and once more when Redis is back).
 */
export class RedisChannelPacer implements ChannelPacer {
  private readonly redis: Redis | Cluster;
  private readonly prefix: string;
  private readonly timeoutMs: number;
  private readonly retryRedisAfterMs: number;
  private readonly fallback: ChannelPacer;
  private readonly clock: Clock;
  private readonly log: RenderLog;
  private localUntil = -Infinity;
  private degraded = false;

  constructor(options: RedisChannelPacerOptions) {
    this.redis = options.redis;
    this.prefix = options.prefix;
    this.timeoutMs = options.timeoutMs ?? 250;
    this.retryRedisAfterMs = options.retryRedisAfterMs ?? 5_000;
    this.clock = options.clock ?? systemClock;
    this.fallback = options.fallback ?? new LocalChannelPacer({ clock: this.clock });
    this.log = options.log ?? silentLog;
  }

  keyFor(channelKey: string): string {
    return `${this.prefix}:pace:${channelKey}`;
  }

  async reserve(channelKey: string, budget: ChannelBudget): Promise<number> {
    if (this.clock.now() < this.localUntil) return this.fallback.reserve(channelKey, budget);
    try {
      const wait = await this.run(channelKey, budget, 0);
      this.recovered();
      return Math.max(0, wait);
    } catch (error) {
      this.failed(error);
      return this.fallback.reserve(channelKey, budget);
    }
  }

  async holdOff(channelKey: string, delayMs: number, budget: ChannelBudget): Promise<void> {
    // The local pacer holds off too, so a fallback in the next seconds still honours the 429.
    await this.fallback.holdOff(channelKey, delayMs, budget);
    if (this.clock.now() < this.localUntil || delayMs <= 0) return;
    try {
      await this.run(channelKey, budget, Math.ceil(delayMs));
      this.recovered();
    } catch (error) {
      this.failed(error);
    }
  }

  private async run(channelKey: string, budget: ChannelBudget, holdMs: number): Promise<number> {
    const keys = [this.keyFor(channelKey)];
    const args: number[] = [Math.max(1, Math.floor(budget.editsPerWindow)), Math.max(1, Math.ceil(budget.windowMs)), holdMs];
    if (budget.shared && holdMs === 0) {
      keys.push(this.keyFor(`shared:${budget.shared.key}`));
      args.push(Math.max(1, Math.floor(budget.shared.editsPerWindow)), Math.max(1, Math.ceil(budget.shared.windowMs)));
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
    return Number(await this.withTimeout(call()));
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
    if (this.degraded) return;
    this.degraded = true;
    this.log.warn({ error: describeError(error) }, 'channel pacing falls back to this process: Redis is unavailable');
  }

  private recovered(): void {
    if (!this.degraded) return;
    this.degraded = false;
    this.log.info({}, 'channel pacing is shared through Redis again');
  }
}
