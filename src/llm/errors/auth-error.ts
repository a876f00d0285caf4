import { LlmError } from './llm-error.ts';

/** 401/403: the key is wrong, revoked or lacks access; retrying cannot help. */
export class LlmAuthError extends LlmError {
  override name = 'LlmAuthError';
  constructor(message: string, options: { status?: number; upstreamMessage?: string } = {}) {
    super(message, { ...options, retryable: false });
  }
}
