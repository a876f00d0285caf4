import { LlmError } from './llm-error.ts';

/** 400/404/422 and other 4xx: the same request would fail the same way again. */
export class LlmBadRequestError extends LlmError {
  override name = 'LlmBadRequestError';
  constructor(message: string, options: { status?: number; upstreamMessage?: string } = {}) {
    super(message, { ...options, retryable: false });
  }
}
