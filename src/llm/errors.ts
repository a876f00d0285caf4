/**
 * Every failure the OfoxAI client throws is one `LlmError` whose `kind` says what went wrong and
 * carries the facts of that kind (a rate limit's wait, a timeout's phase). Callers switch on
 * `kind` and read `retryable`; nothing else needs to be known about the wire.
 */

/**
 * Which of the client's clocks ran out: one attempt's (`connect`, `first-byte`, `idle`), or the
 * call's (`stall`: the model's silence summed over attempts; `deadline`: the whole call).
 */
export type TimeoutPhase = 'connect' | 'first-byte' | 'idle' | 'stall' | 'deadline';

/** What went wrong, with the facts that kind carries. */
export type LlmErrorDetails =
  /** The caller's signal fired. */
  | { kind: 'abort' }
  /** 401/403: the key is wrong, revoked or lacks access. */
  | { kind: 'auth' }
  /** 400/404/422 and other 4xx: the same request would fail the same way again. */
  | { kind: 'bad-request' }
  /** A bad request the caller can only fix by sending less (a new thread, a larger model). */
  | { kind: 'context-too-long' }
  /** A chunk that is not the JSON the protocol promises; usually a glitch. */
  | { kind: 'malformed-stream' }
  /** The connection failed before a response arrived (refused, reset, DNS, TLS). */
  | { kind: 'network' }
  /** 529 / `overloaded_error`: the provider is busy. */
  | { kind: 'overloaded'; retryAfterMs: number | undefined }
  /** 429: the team's budget at the gateway is spent for now; the wait is the gateway's when it said. */
  | { kind: 'rate-limit'; retryAfterMs: number | undefined }
  /** The model's content policy declined the request (an image prompt it will not draw): an answer, not a fault. */
  | { kind: 'refused' }
  /** 5xx, or an error event of no known kind in the middle of a stream. */
  | { kind: 'server' }
  /** The stream stopped before the protocol's end marker (`[DONE]`, `message_stop`): a fragment. */
  | { kind: 'stream-cut-off' }
  /** One of the client's clocks ran out. The call's clocks (stall, deadline) are final; the others describe one attempt. */
  | { kind: 'timeout'; phase: TimeoutPhase; timeoutMs: number }
  /** A failure inside the client that fits no kind above (a bug, not the gateway). */
  | { kind: 'unexpected' };

export type LlmErrorKind = LlmErrorDetails['kind'];

export interface LlmErrorOptions {
  status?: number | undefined;
  /** The gateway's own words, from `{"error":{"message"}}`; already scrubbed of the API key. */
  upstreamMessage?: string | undefined;
  cause?: unknown;
}

/** Whether another attempt may cure a failure of this kind. */
function isRetryableKind(details: LlmErrorDetails): boolean {
  switch (details.kind) {
    case 'malformed-stream':
    case 'network':
    case 'overloaded':
    case 'rate-limit':
    case 'server':
    case 'stream-cut-off':
      return true;
    case 'timeout':
      return details.phase !== 'deadline' && details.phase !== 'stall';
    case 'abort':
    case 'auth':
    case 'bad-request':
    case 'context-too-long':
    case 'refused':
    case 'unexpected':
      return false;
  }
}

class LlmErrorBase extends Error {
  // Set from the details in the constructor; `declare` keeps class-field semantics from resetting them.
  declare readonly kind: LlmErrorKind;
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly upstreamMessage: string | undefined;

  constructor(message: string, details: LlmErrorDetails, options: LlmErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    Object.assign(this, details);
    // Named like the platform's own, so generic `error.name === 'AbortError'` checks keep working.
    this.name = details.kind === 'abort' ? 'AbortError' : 'LlmError';
    this.retryable = isRetryableKind(details);
    this.status = options.status;
    this.upstreamMessage = options.upstreamMessage;
  }
}

/** One error type for every client failure; `kind` narrows it to the facts of that kind. */
export type LlmError = LlmErrorBase & LlmErrorDetails;
export const LlmError = LlmErrorBase as unknown as {
  new (message: string, details: LlmErrorDetails, options?: LlmErrorOptions): LlmError;
  readonly prototype: LlmError;
};

/** An `LlmError`, optionally of one kind, narrowed to that kind's facts. */
export function isLlmError<K extends LlmErrorKind>(error: unknown, kind?: K): error is Extract<LlmError, { kind: K }> {
  return error instanceof LlmError && (kind === undefined || error.kind === kind);
}

/** True for failures another attempt may cure; anything that is not an `LlmError` is not. */
export function isRetryable(error: unknown): boolean {
  return error instanceof LlmError && error.retryable;
}

export function timeoutError(phase: TimeoutPhase, timeoutMs: number, options: { cause?: unknown } = {}): LlmError {
  return new LlmError(`OfoxAI ${describePhase(phase)} after ${timeoutMs} ms`, { kind: 'timeout', phase, timeoutMs }, options);
}

export function abortError(options: { cause?: unknown } = {}): LlmError {
  return new LlmError('The OfoxAI request was cancelled', { kind: 'abort' }, options);
}

function describePhase(phase: TimeoutPhase): string {
  switch (phase) {
    case 'connect':
      return 'connection was not established';
    case 'first-byte':
      return 'sent no first byte';
    case 'idle':
      return 'stream went silent';
    case 'stall':
      return 'model stayed silent across attempts';
    case 'deadline':
      return 'request exceeded its overall deadline';
  }
}
