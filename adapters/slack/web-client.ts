import { WebClient, type WebClientOptions } from '@slack/web-api';
import type { Config } from '../../src/config.ts';
import { sendingGranted } from '../../src/render/grant-scope.ts';
import { SurfaceMessageGoneError, SurfaceRateLimitedError } from '../../src/render/surface.ts';

/**
 * The Web API client the worker uses, and the mapping of its errors onto the renderer's.
 *
 * A 429 is never waited out inside the client (its default pauses every call for the whole
 * Retry-After, up to thirty minutes of retries): it is rejected at once and becomes a
 * `SurfaceRateLimitedError`, so the renderer's latest-wins pacing and the job's backoff decide.
 */

/** `slackApiUrl` must end in `/`: the client appends method names to it. */
export function slackApiUrl(config: Pick<Config, 'SLACK_API_URL'>): string | undefined {
  if (!config.SLACK_API_URL) return undefined;
  return config.SLACK_API_URL.endsWith('/') ? config.SLACK_API_URL : `${config.SLACK_API_URL}/`;
}

export function createSlackWebClient(config: Pick<Config, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL'>, options: WebClientOptions = {}): WebClient {
  const apiUrl = slackApiUrl(config);
  const fetchFn = options.fetch ?? globalThis.fetch;
  return new WebClient(config.SLACK_BOT_TOKEN, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    rejectRateLimitedCalls: true,
    // Network blips and 5xx only; a short, bounded retry. Only safe for reads: the worker's writes
    // pass `retries: 0` (ports.ts), since a timed-out post may already be in the channel.
    retryConfig: { retries: 2, factor: 2, minTimeout: 200, maxTimeout: 1_000, randomize: true },
    timeout: 15_000,
    ...options,
    // A paced write confirms its grant as the request leaves, not when it was granted (`grant-scope.ts`).
    fetch: async (input, init) => {
      await sendingGranted();
      return fetchFn(input, init);
    },
  });
}

/** The Web API's `error` string (`ratelimited`, `message_not_found`, ...), if the failure had one. */
export function slackErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as { code?: unknown; data?: { error?: unknown } };
  if (record.code === 'slack_webapi_rate_limited_error') return 'ratelimited';
  return typeof record.data?.error === 'string' ? record.data.error : undefined;
}

/** Retry-After in milliseconds when the call was rate limited. */
export function rateLimitDelayMs(error: unknown): number | undefined {
  if (typeof error !== 'object' || error === null) return undefined;
  const record = error as { code?: unknown; retryAfter?: unknown; data?: { error?: unknown } };
  if (record.code === 'slack_webapi_rate_limited_error') {
    const seconds = typeof record.retryAfter === 'number' && Number.isFinite(record.retryAfter) ? record.retryAfter : 1;
    return Math.max(1, seconds) * 1_000;
  }
  if (record.data?.error === 'ratelimited' || record.data?.error === 'rate_limited') return 1_000;
  return undefined;
}

const GONE = new Set(['message_not_found', 'channel_not_found', 'thread_not_found', 'is_archived', 'cant_update_message', 'edit_window_closed']);

/**
 * Rate limits and vanished messages become the renderer's errors; anything else is rethrown as is.
 * `budgetKeys`: the pacer budgets of the refused method, so a 429 holds off only those.
 */
export function toSurfaceError(error: unknown, budgetKeys?: readonly string[]): unknown {
  const delay = rateLimitDelayMs(error);
  if (delay !== undefined) return new SurfaceRateLimitedError(delay, undefined, budgetKeys);
  const code = slackErrorCode(error);
  if (code && GONE.has(code)) return new SurfaceMessageGoneError(`slack: ${code}`);
  return error;
}

/** Runs a Web API call, translating its failure with `toSurfaceError`. */
export async function surfaceCall<T>(call: () => Promise<T>, budgetKeys?: readonly string[]): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toSurfaceError(error, budgetKeys);
  }
}
