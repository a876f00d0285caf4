export interface BackoffOptions {
  /** 1 for the delay after the first failed attempt. */
  failedAttempts: number;
  baseMs: number;
  maxMs: number;
  random: () => number;
  /** What the gateway asked for; the delay is never shorter. */
  retryAfterMs?: number | undefined;
}

/**
 * Exponential backoff with full jitter (a uniform pick below the exponential ceiling, so many
 * workers hit by the same outage spread out instead of retrying in lockstep). The ceiling is
 * capped at `maxMs`, but a Retry-After from the gateway wins over the cap: retrying sooner would
 * only be refused again.
 */
export function backoffDelayMs(options: BackoffOptions): number {
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** Math.max(0, options.failedAttempts - 1));
  const jittered = Math.floor(options.random() * ceiling);
  return options.retryAfterMs === undefined ? jittered : Math.max(jittered, options.retryAfterMs);
}
