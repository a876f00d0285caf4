import { LlmError } from './llm-error.ts';

/** 429: the team's budget at the gateway is spent for now. */
export class LlmRateLimitError extends LlmError {
  override name = 'LlmRateLimitError';
  /** From `retry-after`, `retry-after-ms` or `x-ratelimit-reset-requests`, when the gateway said. */
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { status?: number; upstreamMessage?: string; retryAfterMs?: number } = {}) {
    super(message, { status: options.status, upstreamMessage: options.upstreamMessage, retryable: true });
    this.retryAfterMs = options.retryAfterMs;
  }
}
