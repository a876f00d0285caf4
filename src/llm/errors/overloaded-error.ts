import { LlmError } from './llm-error.ts';

/** 529 / `overloaded_error`: the provider is busy; a later attempt usually succeeds. */
export class LlmOverloadedError extends LlmError {
  override name = 'LlmOverloadedError';
  readonly retryAfterMs: number | undefined;
  constructor(message: string, options: { status?: number; upstreamMessage?: string; retryAfterMs?: number } = {}) {
    super(message, { status: options.status, upstreamMessage: options.upstreamMessage, retryable: true });
    this.retryAfterMs = options.retryAfterMs;
  }
}
