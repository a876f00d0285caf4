import { LlmError } from './errors.ts';
import { parseRetryAfterMs } from './http/rate-limit-headers.ts';
import type { HeaderBag } from './http/rate-limit-headers.ts';
import { scrubSecret } from './scrub-secret.ts';

export interface UpstreamErrorDetails {
  message?: string;
  /** `type` of either protocol's error object (`invalid_request_error`, `overloaded_error`, …). */
  type?: string;
  /** OpenAI-style `code`: a string (`context_length_exceeded`) or a number (some gateways put the status here). */
  code?: string | number;
}

const CONTEXT_TOO_LONG =
  /context[ _-]?length|context[ _-]?window|too many tokens|maximum context|prompt is too long|input is too long|reduce the length|context_length_exceeded|tokens? limit exceeded/i;
const MAX_UPSTREAM_MESSAGE = 500;

/** Pulls `{message,type,code}` out of either protocol's error body (or a bare string). */
export function extractUpstreamError(body: unknown): UpstreamErrorDetails {
  if (typeof body === 'string') {
    const text = body.trim();
    if (text === '') return {};
    try {
      return extractUpstreamError(JSON.parse(text));
    } catch {
      return { message: text };
    }
  }
  if (body === null || typeof body !== 'object') return {};
  const record = body as Record<string, unknown>;
  const inner = record.error;
  if (typeof inner === 'string') return { message: inner };
  if (inner !== null && typeof inner === 'object') {
    const error = inner as Record<string, unknown>;
    const details: UpstreamErrorDetails = {};
    if (typeof error.message === 'string') details.message = error.message;
    if (typeof error.type === 'string') details.type = error.type;
    if (typeof error.code === 'string' || typeof error.code === 'number') details.code = error.code;
    return details;
  }
  return typeof record.message === 'string' ? { message: record.message } : {};
}

export interface ClassifyInput {
  status?: number;
  headers?: HeaderBag;
  details: UpstreamErrorDetails;
  secrets: readonly string[];
  now?: number;
}

/**
 * Turns an upstream failure (an HTTP error response, or an error object in the middle of a stream)
 * into one typed error. The status decides the family; the error's type and code refine it.
 */
export function classifyUpstreamError(input: ClassifyInput): LlmError {
  const { details, secrets } = input;
  const upstreamMessage = details.message
    ? truncate(scrubSecret(details.message, secrets).replace(/\s+/g, ' ').trim(), MAX_UPSTREAM_MESSAGE)
    : undefined;
  const numericCode = typeof details.code === 'number' ? details.code : undefined;
  const status = input.status ?? (numericCode !== undefined && numericCode >= 400 && numericCode < 600 ? numericCode : undefined);
  const upstreamKind = `${details.type ?? ''} ${typeof details.code === 'string' ? details.code : ''}`.toLowerCase();
  const where = status === undefined ? 'OfoxAI stream error' : `OfoxAI HTTP ${status}`;
  const message = upstreamMessage ? `${where}: ${upstreamMessage}` : where;
  const base = { status, upstreamMessage };
  const contextTooLong = CONTEXT_TOO_LONG.test(upstreamKind) || (upstreamMessage !== undefined && CONTEXT_TOO_LONG.test(upstreamMessage));

  if (status === 401 || status === 403 || /authentication|permission|invalid_api_key/.test(upstreamKind)) {
    return new LlmError(message, { kind: 'auth' }, base);
  }
  const retryAfter = (rateLimited: boolean) => (input.headers ? parseRetryAfterMs(input.headers, input.now, { rateLimited }) : undefined);
  if (status === 429 || /rate_limit/.test(upstreamKind)) return new LlmError(message, { kind: 'rate-limit', retryAfterMs: retryAfter(true) }, base);
  if (status === 529 || /overloaded/.test(upstreamKind)) return new LlmError(message, { kind: 'overloaded', retryAfterMs: retryAfter(false) }, base);
  if (contextTooLong && (status === undefined || (status >= 400 && status < 500))) return new LlmError(message, { kind: 'context-too-long' }, base);
  if (status !== undefined && status >= 500) return new LlmError(message, { kind: 'server' }, base);
  if (status === 408 || status === 409 || status === 425) return new LlmError(message, { kind: 'server' }, base);
  if (status !== undefined && status >= 400) return new LlmError(message, { kind: 'bad-request' }, base);
  if (/invalid_request|not_found|request_too_large/.test(upstreamKind)) return new LlmError(message, { kind: 'bad-request' }, base);
  return new LlmError(message, { kind: 'server' }, base);
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
