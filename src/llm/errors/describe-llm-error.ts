import { LlmAbortError } from './abort-error.ts';
import { LlmAuthError } from './auth-error.ts';
import { LlmBadRequestError } from './bad-request-error.ts';
import { LlmContextTooLongError } from './context-too-long-error.ts';
import { LlmError } from './llm-error.ts';
import { LlmMalformedStreamError } from './malformed-stream-error.ts';
import { LlmNetworkError } from './network-error.ts';
import { LlmOverloadedError } from './overloaded-error.ts';
import { LlmRateLimitError } from './rate-limit-error.ts';
import { LlmServerError } from './server-error.ts';
import { LlmStreamCutOffError } from './stream-cut-off-error.ts';
import { LlmTimeoutError } from './timeout-error.ts';

/** True for failures another attempt may cure; anything that is not an `LlmError` is not. */
export function isRetryable(error: unknown): boolean {
  return error instanceof LlmError && error.retryable;
}

/**
 * One line a person in the channel can read: what went wrong and what to do, without stack
 * traces, JSON or secrets (upstream messages were scrubbed when the error was made).
 */
export function describeLlmError(error: unknown): string {
  return oneLine(describe(error));
}

function describe(error: unknown): string {
  if (error instanceof LlmAbortError) return 'The request was cancelled.';
  if (error instanceof LlmAuthError) {
    return `OfoxAI rejected the bot's API key (${error.status ?? 'auth'}); an admin needs to check OFOX_API_KEY.`;
  }
  if (error instanceof LlmRateLimitError) {
    const wait = error.retryAfterMs === undefined ? 'shortly' : `in ${Math.max(1, Math.ceil(error.retryAfterMs / 1000))} s`;
    return `OfoxAI is rate-limiting this team's requests; try again ${wait}.`;
  }
  if (error instanceof LlmOverloadedError) return 'The model is overloaded right now; try again in a moment or pick another model.';
  if (error instanceof LlmContextTooLongError) {
    return "The conversation is too long for this model's context window; start a new thread or pick a model with a larger context.";
  }
  if (error instanceof LlmBadRequestError) {
    return `OfoxAI refused the request${error.status ? ` (${error.status})` : ''}${upstream(error)}.`;
  }
  if (error instanceof LlmServerError) {
    return `OfoxAI had a server error${error.status ? ` (${error.status})` : ''}${upstream(error)}; try again shortly.`;
  }
  if (error instanceof LlmTimeoutError) {
    const seconds = Math.max(1, Math.round(error.timeoutMs / 1000));
    switch (error.phase) {
      case 'connect':
        return `Could not connect to OfoxAI within ${seconds} s; try again shortly.`;
      case 'first-byte':
        return `The model did not start answering within ${seconds} s; try again shortly.`;
      case 'idle':
        return `The model stopped answering for ${seconds} s; try again.`;
      case 'deadline':
        return `The answer took longer than ${seconds} s and was stopped.`;
    }
  }
  if (error instanceof LlmNetworkError) return 'Could not reach OfoxAI (network error); try again shortly.';
  if (error instanceof LlmStreamCutOffError || error instanceof LlmMalformedStreamError) {
    return "OfoxAI's answer broke off midway; try again.";
  }
  if (error instanceof LlmError) return `The model request failed${upstream(error)}.`;
  return 'Something went wrong while talking to the model.';
}

function upstream(error: LlmError): string {
  if (!error.upstreamMessage) return '';
  const text = error.upstreamMessage.replace(/[.\s]+$/, '');
  return `: ${text.length > 200 ? `${text.slice(0, 199)}…` : text}`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}
