import { LlmBadRequestError } from './bad-request-error.ts';

/**
 * A bad request the caller can fix by sending less: the worker may trim the context and try once
 * more, so it gets its own class (still a bad request for anyone who only checks that).
 */
export class LlmContextTooLongError extends LlmBadRequestError {
  override name = 'LlmContextTooLongError';
}
