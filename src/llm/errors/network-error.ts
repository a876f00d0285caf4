import { LlmError } from './llm-error.ts';

/** The connection failed before a response arrived (refused, reset, DNS, TLS). */
export class LlmNetworkError extends LlmError {
  override name = 'LlmNetworkError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
  }
}
