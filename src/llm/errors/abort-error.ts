import { LlmError } from './llm-error.ts';

/**
 * The caller's signal fired. Named `AbortError` like the platform's own so generic
 * `error.name === 'AbortError'` checks keep working; never retried.
 */
export class LlmAbortError extends LlmError {
  override name = 'AbortError';
  constructor(options: { cause?: unknown } = {}) {
    super('The OfoxAI request was cancelled', { ...options, retryable: false });
  }
}
