import type { Logger } from '../observability/logger.ts';
import type { RedisAvailability } from './outbox-availability.ts';

/**
 * The gateway's bounded in-process outbox. While Redis cannot be reached, a request the gateway
 * has accepted waits here (its claim included: the claim is a Redis write too, so a redelivery that
 * arrives later is still deduplicated when the request finally runs), the person is shown that it
 * waits, and requests run in arrival order as soon as Redis answers. A request that waits past
 * `maxAgeMs`, arrives when `maxEntries` already wait, or is still waiting when the gateway shuts
 * down is given up: the person reads a failure in the chat, and one log line says why.
 */

export interface OutboxOptions {
  available: RedisAvailability;
  log: Logger;
  /** How many requests may wait at once; the next one is given up at once. 0 turns waiting off. @defaultValue 1000 */
  maxEntries?: number;
  /** How long a request may wait before it is given up. @defaultValue 120_000 */
  maxAgeMs?: number;
  /** How often Redis's state, ages and waiting indications are looked at while requests wait. @defaultValue 250 */
  checkEveryMs?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

export const OUTBOX_DEFAULTS = {
  /** @defaultValue 1000 */
  maxEntries: 1_000,
  /** @defaultValue 120_000 */
  maxAgeMs: 120_000,
  /** @defaultValue 250 */
  checkEveryMs: 250,
} as const;

/** How long shutdown waits for the one request running when the drain time ran out. */
const RUNNING_GRACE_MS = 5_000;

/** Why a request was given up. */
export type GiveUpReason = 'full' | 'expired' | 'shutdown' | 'error';

/** Thrown by `HeldRequest.run` when Redis went away under it: the request waits (again) from where it stopped. */
export class RedisUnavailableError extends Error {
  override name = 'RedisUnavailableError';
  constructor(cause: unknown) {
    super('Redis is unreachable', { cause });
  }
}

/** How the person is shown that the request waits (typing, a note): shown when held, then renewed. */
export interface WaitingIndication {
  /** Requests with the same key share one indication (typing is per channel). */
  key: string;
  /** Shown again this often while any request with the key waits; undefined shows it once. */
  renewEveryMs?: number;
  show(): Promise<void>;
}

export interface HeldRequest<T> {
  /** Fields for the log lines about this request. */
  readonly logFields: Record<string, unknown>;
  readonly waiting?: WaitingIndication;
  /** Runs the request, or resumes it from the step Redis failed at; throws `RedisUnavailableError` to wait again. */
  run(): Promise<T>;
  /** Tells the person in the chat that the request could not be taken. Never throws. */
  giveUp(reason: GiveUpReason): Promise<T>;
}

interface Entry {
  heldAt: number;
  logFields: Record<string, unknown>;
  waiting?: WaitingIndication;
  /** Resolves true when the request finished, false when it must wait again. */
  attempt(): Promise<boolean>;
  giveUp(reason: GiveUpReason): Promise<void>;
}

export interface OutboxCloseResult {
  /** Requests that ran while the outbox drained. */
  drained: number;
  /** Requests given up because the drain time ran out. */
  givenUp: number;
}

export class IngressOutbox {
  readonly maxEntries: number;
  readonly maxAgeMs: number;
  private readonly isAvailable: RedisAvailability;
  private readonly log: Logger;
  private readonly checkEveryMs: number;
  private readonly now: () => number;
  private readonly waitingQueue: Entry[] = [];
  private running: Entry | undefined;
  private draining: Promise<void> | undefined;
  private timer: NodeJS.Timeout | undefined;
  private readonly shownAt = new Map<string, number>();
  private closing = false;
  private outageStartedAt: number | undefined;
  private ranSinceOutage = 0;

  constructor(options: OutboxOptions) {
    this.isAvailable = options.available;
    this.log = options.log.child({ component: 'ingress-outbox' });
    this.maxEntries = options.maxEntries ?? OUTBOX_DEFAULTS.maxEntries;
    this.maxAgeMs = options.maxAgeMs ?? OUTBOX_DEFAULTS.maxAgeMs;
    this.checkEveryMs = options.checkEveryMs ?? OUTBOX_DEFAULTS.checkEveryMs;
    this.now = options.now ?? Date.now;
  }

  /** Requests waiting or running from the outbox. */
  get size(): number {
    return this.waitingQueue.length + (this.running ? 1 : 0);
  }

  available(): boolean {
    return this.isAvailable();
  }

  /**
   * Runs the request now when Redis answers and nothing waits ahead of it (the usual case: no
   * extra step); otherwise, or when Redis goes away while it runs, it waits its turn here.
   */
  async submit<T>(request: HeldRequest<T>): Promise<T> {
    if (this.size === 0 && this.available()) {
      try {
        return await request.run();
      } catch (error) {
        if (!(error instanceof RedisUnavailableError)) throw error;
      }
    }
    return this.hold(request);
  }

  /**
   * Closes the outbox for shutdown: nothing new waits (a request that would is given up at once),
   * waiting requests get up to `drainMs` to run, and whatever still waits then is given up.
   */
  async close(drainMs: number): Promise<OutboxCloseResult> {
    this.closing = true;
    const before = this.size;
    const deadline = this.now() + drainMs;
    while (this.size > 0 && this.now() < deadline) {
      this.tick();
      await sleep(Math.min(this.checkEveryMs, Math.max(1, deadline - this.now())));
    }
    const left = this.waitingQueue.splice(0);
    for (const entry of left) await this.giveUp(entry, 'shutdown');
    // One request may still be running (Redis answered at the last moment): it gets a little longer.
    if (this.draining) await Promise.race([this.draining, sleep(RUNNING_GRACE_MS)]);
    this.stopTimer();
    const result = { drained: before - left.length, givenUp: left.length };
    if (before > 0) this.log.info(result, 'ingress outbox closed');
    return result;
  }

  private hold<T>(request: HeldRequest<T>): Promise<T> {
    if (this.closing) return this.refuse(request, 'shutdown');
    if (this.waitingQueue.length >= this.maxEntries) return this.refuse(request, 'full');
    return new Promise<T>((resolve) => {
      const entry: Entry = {
        heldAt: this.now(),
        logFields: request.logFields,
        ...(request.waiting ? { waiting: request.waiting } : {}),
        attempt: async () => {
          try {
            resolve(await request.run());
            return true;
          } catch (error) {
            if (error instanceof RedisUnavailableError) return false;
            this.log.error({ ...request.logFields, err: error }, 'a waiting request failed when it ran');
            resolve(await request.giveUp('error'));
            return true;
          }
        },
        giveUp: async (reason) => resolve(await request.giveUp(reason)),
      };
      if (this.size === 0 && this.outageStartedAt === undefined) {
        this.outageStartedAt = entry.heldAt;
        this.ranSinceOutage = 0;
        this.log.warn({ maxEntries: this.maxEntries, maxAgeMs: this.maxAgeMs }, 'Redis is unreachable: requests wait in the ingress outbox');
      }
      this.waitingQueue.push(entry);
      this.log.debug({ ...request.logFields, waiting: this.waitingQueue.length }, 'request waits for Redis');
      this.showWaiting(entry);
      this.startTimer();
    });
  }

  /** Given up before it ever waited: the outbox is full, or the gateway is shutting down. */
  private async refuse<T>(request: HeldRequest<T>, reason: GiveUpReason): Promise<T> {
    this.log.warn({ ...request.logFields, reason, waiting: this.waitingQueue.length, maxEntries: this.maxEntries }, giveUpMessage(reason));
    return request.giveUp(reason);
  }

  private async giveUp(entry: Entry, reason: GiveUpReason): Promise<void> {
    this.log.warn({ ...entry.logFields, reason, waitedMs: this.now() - entry.heldAt }, giveUpMessage(reason));
    await entry.giveUp(reason);
  }

  private startTimer(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.checkEveryMs);
    // Waiting requests never keep a process alive on their own; shutdown drains them explicitly.
    this.timer.unref();
  }

  private stopTimer(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    const now = this.now();
    const expired = this.waitingQueue.filter((entry) => now - entry.heldAt >= this.maxAgeMs);
    for (const entry of expired) {
      this.waitingQueue.splice(this.waitingQueue.indexOf(entry), 1);
      void this.giveUp(entry, 'expired');
    }
    this.renewWaiting(now);
    if (!this.draining && this.waitingQueue.length > 0 && this.available()) {
      this.draining = this.drain().finally(() => {
        this.draining = undefined;
      });
    }
    if (this.size === 0 && !this.draining) {
      this.stopTimer();
      this.outageOver();
    }
  }

  /** Runs waiting requests one at a time, oldest first, while Redis answers. */
  private async drain(): Promise<void> {
    while (this.waitingQueue.length > 0 && this.available()) {
      const entry = this.waitingQueue.shift() as Entry;
      this.running = entry;
      let finished: boolean;
      try {
        finished = await entry.attempt();
      } finally {
        this.running = undefined;
      }
      if (!finished) {
        // Redis went away again: it keeps its place (and its age) at the head.
        this.waitingQueue.unshift(entry);
        return;
      }
      this.ranSinceOutage += 1;
    }
  }

  private outageOver(): void {
    if (this.outageStartedAt === undefined) return;
    this.log.info({ ran: this.ranSinceOutage, waitedMs: this.now() - this.outageStartedAt }, 'ingress outbox is empty again');
    this.outageStartedAt = undefined;
  }

  private showWaiting(entry: Entry): void {
    const waiting = entry.waiting;
    if (!waiting || this.shownAt.has(waiting.key)) return;
    this.shownAt.set(waiting.key, this.now());
    this.show(waiting, entry);
  }

  /** One renewal per key, for as long as a request with that key waits (typing fades after ~10 s). */
  private renewWaiting(now: number): void {
    const live = new Map<string, Entry>();
    for (const entry of this.waitingQueue) if (entry.waiting && !live.has(entry.waiting.key)) live.set(entry.waiting.key, entry);
    for (const key of this.shownAt.keys()) if (!live.has(key)) this.shownAt.delete(key);
    for (const [key, entry] of live) {
      const waiting = entry.waiting as WaitingIndication;
      const last = this.shownAt.get(key);
      if (last === undefined) {
        this.shownAt.set(key, now);
        this.show(waiting, entry);
      } else if (waiting.renewEveryMs !== undefined && now - last >= waiting.renewEveryMs) {
        this.shownAt.set(key, now);
        this.show(waiting, entry);
      }
    }
  }

  private show(waiting: WaitingIndication, entry: Entry): void {
    waiting.show().catch((error: unknown) => this.log.debug({ ...entry.logFields, err: error }, 'could not show that the request waits'));
  }
}

function giveUpMessage(reason: GiveUpReason): string {
  switch (reason) {
    case 'full':
      return 'request given up: the ingress outbox is full while Redis is unreachable';
    case 'expired':
      return 'request given up: Redis stayed unreachable past the outbox age limit';
    case 'shutdown':
      return 'request given up: the gateway is shutting down while Redis is unreachable';
    case 'error':
      return 'request given up: it failed when it ran from the outbox';
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
