import type { RateLimitInfo } from '../types.ts';

export type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

const DURATION_PART = /(\d+(?:\.\d+)?)(ns|us|µs|ms|h|m|s)/g;
const UNIT_MS: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * Reads the reset values gateways send: Go-style durations (`1s`, `6m0s`, `120ms`, `1h2m3.5s`)
 * or plain seconds. A plain number that looks like a Unix time is read as one.
 */
export function parseDurationMs(value: string | undefined, now: number = Date.now()): number | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(?:\.\d+)?$/.test(text)) {
    const seconds = Number(text);
    if (seconds > 1e9) return Math.max(0, Math.round(seconds * 1000 - now));
    return Math.round(seconds * 1000);
  }
  let total = 0;
  let consumed = 0;
  for (const match of text.matchAll(DURATION_PART)) {
    total += Number(match[1]) * (UNIT_MS[match[2] ?? ''] ?? 0);
    consumed += match[0].length;
  }
  return consumed === text.length ? Math.round(total) : undefined;
}

/**
 * `retry-after` is seconds or an HTTP date; OpenAI-style gateways add `retry-after-ms`. For a 429
 * without either, the request budget's reset (`x-ratelimit-reset-requests`) is the wait; other
 * statuses ignore it, as the budget is not what failed.
 */
export function parseRetryAfterMs(headers: HeaderBag, now: number = Date.now(), options: { rateLimited?: boolean } = { rateLimited: true }): number | undefined {
  const milliseconds = header(headers, 'retry-after-ms');
  if (milliseconds !== undefined && /^\d+(?:\.\d+)?$/.test(milliseconds.trim())) return Math.round(Number(milliseconds));
  const retryAfter = header(headers, 'retry-after')?.trim();
  if (retryAfter) {
    if (/^\d+(?:\.\d+)?$/.test(retryAfter)) return Math.round(Number(retryAfter) * 1000);
    const date = Date.parse(retryAfter);
    if (!Number.isNaN(date)) return Math.max(0, date - now);
  }
  return options.rateLimited ? parseDurationMs(header(headers, 'x-ratelimit-reset-requests'), now) : undefined;
}

function parseCount(value: string | undefined): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  const count = Number(value);
  return Number.isFinite(count) ? count : undefined;
}

/** The request budget headers, or undefined when the response carried none of them. */
export function parseRateLimitHeaders(headers: HeaderBag, now: number = Date.now()): RateLimitInfo | undefined {
  const info: RateLimitInfo = {};
  const limit = parseCount(header(headers, 'x-ratelimit-limit-requests'));
  const remaining = parseCount(header(headers, 'x-ratelimit-remaining-requests'));
  const reset = parseDurationMs(header(headers, 'x-ratelimit-reset-requests'), now);
  if (limit !== undefined) info.limitRequests = limit;
  if (remaining !== undefined) info.remainingRequests = remaining;
  if (reset !== undefined) info.resetRequestsMs = reset;
  return limit === undefined && remaining === undefined && reset === undefined ? undefined : info;
}
