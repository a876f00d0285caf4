export { parseDurationMs, parseRateLimitHeaders, parseRetryAfterMs } from './rate-limit-headers.ts';
export type { HeaderBag } from './rate-limit-headers.ts';
