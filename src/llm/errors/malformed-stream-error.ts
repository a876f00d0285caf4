import { LlmError } from './llm-error.ts';

/** A chunk that is not the JSON the protocol promises; usually a glitch, so worth another try. */
export class LlmMalformedStreamError extends LlmError {
  override name = 'LlmMalformedStreamError';
  constructor(message: string, options: { cause?: unknown } = {}) {
    super(message, { ...options, retryable: true });
  }
}
