import { LlmError } from './llm-error.ts';

/**
 * The stream stopped before the protocol's end marker (`[DONE]`, `message_stop`) or without a
 * finish reason. What arrived is a fragment, never a complete answer.
 */
export class LlmStreamCutOffError extends LlmError {
  override name = 'LlmStreamCutOffError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
  }
}
