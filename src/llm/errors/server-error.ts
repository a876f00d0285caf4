import { LlmError } from './llm-error.ts';

/** 5xx, or an error event of no known kind in the middle of a stream. */
export class LlmServerError extends LlmError {
  override name = 'LlmServerError';
  constructor(message: string, options: { status?: number; upstreamMessage?: string; cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
  }
}
