export interface LlmErrorOptions {
  retryable: boolean;
  status?: number;
  /** The gateway's own words, from `{"error":{"message"}}`; already scrubbed of the API key. */
  upstreamMessage?: string;
  cause?: unknown;
}

/**
 * The base of every failure the OfoxAI client throws, so callers need one `instanceof` and one
 * `retryable` flag to decide between "retry the job" and "tell the user".
 */
export class LlmError extends Error {
  override name = 'LlmError';
  readonly retryable: boolean;
  readonly status: number | undefined;
  readonly upstreamMessage: string | undefined;

  constructor(message: string, options: LlmErrorOptions) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = options.retryable;
    this.status = options.status;
    this.upstreamMessage = options.upstreamMessage;
  }
}
