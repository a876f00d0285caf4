import type { Redis } from 'ioredis';
import type { Logger } from './logger.ts';

/**
 * One log line per state change of a dependency (Redis): "down" when the first connection fails,
 * "still down" every `stillDownEveryMs` while it stays down, "back" when every failed connection is
 * ready again. A process holds many connections to one Redis (client, producer, workers, pub/sub);
 * an outage is one event however many of them notice it, and the reconnect attempts in between
 * (every 200 ms to 5 s per connection) log nothing.
 */

export interface DependencyStateOptions {
  /** What is watched, e.g. `redis`. */
  dependency: string;
  /** Where it is, safe to log (a redacted URL). */
  target: string;
  log: Logger;
  /** @defaultValue 30_000 */
  stillDownEveryMs?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

export const DEPENDENCY_STATE_DEFAULTS = {
  /** Often enough to show the outage goes on, rarely enough not to flood the logs. */
  stillDownEveryMs: 30_000,
} as const;

export class DependencyState {
  readonly #options: DependencyStateOptions;
  readonly #now: () => number;
  /** Sources currently failing; the dependency is down while this is not empty. */
  readonly #failing = new Set<object>();
  #downSince: number | undefined;
  #timer: ReturnType<typeof setInterval> | undefined;

  constructor(options: DependencyStateOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  get isDown(): boolean {
    return this.#downSince !== undefined;
  }

  /** `source` failed (a connection error); logs only when this starts an outage. */
  failed(source: object, cause: unknown): void {
    this.#failing.add(source);
    if (this.#downSince !== undefined) return;
    this.#downSince = this.#now();
    const { dependency, target, log } = this.#options;
    log.warn({ dependency, target, cause: describeConnectionError(cause) }, `${dependency} is down; retrying quietly`);
    this.#timer = setInterval(() => {
      log.warn({ dependency, target, downForMs: this.#now() - (this.#downSince ?? this.#now()) }, `${dependency} is still down`);
    }, this.#options.stillDownEveryMs ?? DEPENDENCY_STATE_DEFAULTS.stillDownEveryMs);
    this.#timer.unref?.();
  }

  /** `source` works again; logs "back" when it was the last one failing. */
  recovered(source: object): void {
    if (!this.#failing.delete(source) || this.#failing.size > 0 || this.#downSince === undefined) return;
    const downForMs = this.#now() - this.#downSince;
    this.#clear();
    const { dependency, target, log } = this.#options;
    log.info({ dependency, target, downForMs }, `${dependency} is back`);
  }

  /** `source` was closed on purpose: it no longer counts, and ends the outage silently if it was the last. */
  forget(source: object): void {
    this.#failing.delete(source);
    if (this.#failing.size === 0) this.#clear();
  }

  close(): void {
    this.#failing.clear();
    this.#clear();
  }

  #clear(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#downSince = undefined;
  }
}

/** Something that emits `error` events and must not crash the process or print them raw (a BullMQ Queue). */
interface ErrorEmitter {
  on(event: 'error', listener: (error: unknown) => void): unknown;
}

/** One outage state per logger and target, so every connection a core opens shares it. */
const states = new WeakMap<Logger, Map<string, DependencyState>>();

function stateFor(log: Logger, target: string): DependencyState {
  let byTarget = states.get(log);
  if (!byTarget) states.set(log, (byTarget = new Map()));
  let state = byTarget.get(target);
  if (!state) byTarget.set(target, (state = new DependencyState({ dependency: 'redis', target, log })));
  return state;
}

function isRedisClient(source: Redis | ErrorEmitter): source is Redis {
  return typeof (source as Redis).status === 'string' && typeof (source as Redis).once === 'function';
}

/**
 * Watches a Redis connection (or an emitter that relays its errors, such as a BullMQ Queue): its
 * `error` events are absorbed (an unhandled one would crash the process or, in BullMQ, be printed
 * raw with its stack) and turned into the shared down / still down / back lines. `target` is the
 * redacted URL.
 */
export function watchRedis(source: Redis | ErrorEmitter, log: Logger, target: string): void {
  if (!isRedisClient(source)) {
    // The connection underneath reports the outage; the relayed copy adds nothing.
    source.on('error', () => {});
    return;
  }
  const state = stateFor(log, target);
  source.on('error', (error: unknown) => state.failed(source, error));
  source.on('ready', () => state.recovered(source));
  // 'end': no more reconnects, closed on purpose (disconnect/quit) or given up.
  source.on('end', () => state.forget(source));
}

/** One line, no stack: `ECONNREFUSED connect ECONNREFUSED 127.0.0.1:6379`. */
export function describeConnectionError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  const message = error.message.split('\n')[0] ?? '';
  if (error instanceof AggregateError && error.errors.length > 0) return describeConnectionError(error.errors[0]);
  return typeof code === 'string' && !message.includes(code) ? `${code}: ${message}` : message;
}

/** Connection-level failures, which the watcher already reports; callers may skip logging them again. */
export function isConnectionError(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'string' && /^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH)$/.test(code)) return true;
  const message = error instanceof Error ? error.message : '';
  return /Connection is closed|MaxRetriesPerRequestError|Reached the max retries per request/.test(message);
}
