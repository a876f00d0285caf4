/** Fixed-window buckets, like Discord's per-route, per-major-parameter limits. */

export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export interface RateLimitVerdict {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Epoch ms when the window resets. */
  resetAt: number;
  resetAfterMs: number;
  /** Discord's bucket hash for the route (same for every channel; the channel is the major parameter). */
  bucket: string;
}

interface Window {
  startedAt: number;
  used: number;
}

export class FixedWindowLimiter {
  readonly #windows = new Map<string, Window>();

  take(bucket: string, majorParameter: string, rule: RateLimitRule, now: number = Date.now()): RateLimitVerdict {
    const key = `${bucket}:${majorParameter}`;
    let window = this.#windows.get(key);
    if (!window || now >= window.startedAt + rule.windowMs) {
      window = { startedAt: now, used: 0 };
      this.#windows.set(key, window);
    }
    const resetAt = window.startedAt + rule.windowMs;
    const allowed = window.used < rule.limit;
    if (allowed) window.used += 1;
    return {
      allowed,
      limit: rule.limit,
      remaining: Math.max(0, rule.limit - window.used),
      resetAt,
      resetAfterMs: Math.max(0, resetAt - now),
      bucket,
    };
  }

  reset(): void {
    this.#windows.clear();
  }
}

/** Discord's rate-limit headers for a verdict (seconds, as decimal strings). */
export function rateLimitHeaders(verdict: RateLimitVerdict): Record<string, string> {
  const headers: Record<string, string> = {
    'x-ratelimit-limit': String(verdict.limit),
    'x-ratelimit-remaining': String(verdict.remaining),
    'x-ratelimit-reset': (verdict.resetAt / 1000).toFixed(3),
    'x-ratelimit-reset-after': (verdict.resetAfterMs / 1000).toFixed(3),
    'x-ratelimit-bucket': verdict.bucket,
  };
  if (!verdict.allowed) {
    headers['retry-after'] = (verdict.resetAfterMs / 1000).toFixed(3);
    headers['x-ratelimit-scope'] = 'user';
  }
  return headers;
}
