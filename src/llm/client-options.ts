import type { Dispatcher } from 'undici';
import type { Config } from '../config.ts';
import type { ProtocolChoice } from './protocols/protocol.ts';

export interface RetryInfo {
  /** The attempt that failed (1-based); attempt + 1 follows. */
  attempt: number;
  delayMs: number;
  error: Error;
}

/** Everything the OfoxAI client can be told; `llmClientOptionsFromConfig` fills it from the env. */
export interface LlmClientOptions {
  apiKey: string;
  /** @defaultValue `https://api.ofox.ai/v1` (via `OFOX_BASE_URL`) */
  openaiBaseUrl: string;
  /** @defaultValue `https://api.ofox.ai/anthropic` (via `OFOX_ANTHROPIC_BASE_URL`) */
  anthropicBaseUrl: string;
  /** `auto` speaks Anthropic Messages to `anthropic/*` models and Chat Completions to the rest. @defaultValue `'auto'` */
  protocol?: ProtocolChoice;
  /** TCP + TLS handshake. @defaultValue 10_000 */
  connectTimeoutMs?: number;
  /** From sending the request to the first body byte (headers included). @defaultValue 60_000 */
  firstByteTimeoutMs?: number;
  /** Longest silence between two body chunks of one attempt, which is then retried; keep-alive comments count as life. @defaultValue 25_000 */
  idleTimeoutMs?: number;
  /**
   * Longest the model may stay silent in one call, summed over its attempts and the waits between
   * them, since it last sent a byte (the consumer's time with an event does not count). Then the
   * call ends with a `stall` timeout; a retry whose wait alone would outlast it fails at once with
   * its own error. Bounds a stalled stream: idle timeout, retries, and a readable end within it.
   * @defaultValue 90_000
   */
  stallBudgetMs?: number;
  /** Silence without an event after which `StreamOptions.onSlow` is told. @defaultValue 10_000 */
  slowNoticeMs?: number;
  /** One call, all attempts and waits between them included. @defaultValue 600_000 */
  deadlineMs?: number;
  /** Attempts per call, the first included. @defaultValue 4 */
  maxAttempts?: number;
  /** Ceiling of the first backoff; doubles per failed attempt. @defaultValue 500 */
  retryBaseMs?: number;
  /** Cap on the backoff ceiling (a longer Retry-After still wins). @defaultValue 20_000 */
  retryMaxMs?: number;
  /** Sent as `provider.fallback` on the OpenAI protocol when non-empty; a request's own list wins. @defaultValue none */
  fallbackModels?: string[];
  /** Output cap when the request sets none; the Anthropic protocol always needs one. @defaultValue none for OpenAI, 4096 for Anthropic */
  maxOutputTokens?: number;
  /** Injected for tests. @defaultValue an abortable `setTimeout` */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Injected for tests (jitter). @defaultValue `Math.random` */
  random?: () => number;
  /**
   * Called by the client before the wait of every retry (stream and model list alike). Nothing in
   * the bot sets it yet: the worker logs retries from the stream's `retry` event, and the metrics
   * issue will wire this to a retry counter. @defaultValue none
   */
  onRetry?(info: RetryInfo): void;
  /** Connection pool to use. @defaultValue a client-owned undici `Agent` with `connectTimeoutMs` */
  dispatcher?: Dispatcher;
}

export const LLM_CLIENT_DEFAULTS = {
  protocol: 'auto',
  connectTimeoutMs: 10_000,
  firstByteTimeoutMs: 60_000,
  idleTimeoutMs: 25_000,
  stallBudgetMs: 90_000,
  slowNoticeMs: 10_000,
  deadlineMs: 600_000,
  maxAttempts: 4,
  retryBaseMs: 500,
  retryMaxMs: 20_000,
} as const;

/** The client's options from the validated config (`OFOX_*`). */
export function llmClientOptionsFromConfig(config: Config): LlmClientOptions {
  return {
    apiKey: config.OFOX_API_KEY ?? '',
    openaiBaseUrl: config.OFOX_BASE_URL,
    anthropicBaseUrl: config.OFOX_ANTHROPIC_BASE_URL,
    protocol: config.OFOX_PROTOCOL,
    connectTimeoutMs: config.OFOX_CONNECT_TIMEOUT_MS,
    firstByteTimeoutMs: config.OFOX_FIRST_BYTE_TIMEOUT_MS,
    idleTimeoutMs: config.OFOX_IDLE_TIMEOUT_MS,
    deadlineMs: config.OFOX_DEADLINE_MS,
    maxAttempts: config.OFOX_MAX_ATTEMPTS,
    retryBaseMs: config.OFOX_RETRY_BASE_MS,
    retryMaxMs: config.OFOX_RETRY_MAX_MS,
    fallbackModels: config.OFOX_FALLBACK_MODELS,
    maxOutputTokens: config.OFOX_MAX_OUTPUT_TOKENS,
  };
}
