import { LlmError, abortError, timeoutError } from './errors.ts';
import { scrubSecret } from './scrub-secret.ts';

/**
 * The lifetime of one client call across all its attempts: the caller's signal and the overall
 * deadline fold into one signal whose reason is the typed error to throw.
 */
export class CallScope {
  readonly signal: AbortSignal;
  readonly #controller = new AbortController();
  readonly #deadlineAt: number;
  readonly #timer: ReturnType<typeof setTimeout>;
  readonly #callerSignal: AbortSignal | undefined;
  readonly #secrets: readonly string[];
  readonly #onCallerAbort = (): void => {
    this.#controller.abort(abortError({ cause: this.#callerSignal?.reason }));
  };

  constructor(options: { callerSignal?: AbortSignal | undefined; deadlineMs: number; secrets: readonly string[] }) {
    this.signal = this.#controller.signal;
    this.#secrets = options.secrets;
    this.#callerSignal = options.callerSignal;
    this.#deadlineAt = performance.now() + options.deadlineMs;
    this.#timer = setTimeout(() => this.#controller.abort(timeoutError('deadline', options.deadlineMs)), options.deadlineMs);
    // An abandoned iterator must not keep the process alive until the deadline.
    this.#timer.unref();
    if (this.#callerSignal?.aborted) this.#onCallerAbort();
    else this.#callerSignal?.addEventListener('abort', this.#onCallerAbort, { once: true });
  }

  /** Ends the call with `reason` (a call-wide clock ran out); whatever is in flight fails with it. */
  abort(reason: LlmError): void {
    this.#controller.abort(reason);
  }

  remainingMs(): number {
    return this.#deadlineAt - performance.now();
  }

  /** The typed, scrubbed error to surface for whatever an attempt threw. */
  explain(error: unknown): LlmError {
    let result: LlmError;
    if (this.signal.aborted && this.signal.reason instanceof LlmError) result = this.signal.reason;
    else if (error instanceof LlmError) result = error;
    else result = new LlmError(`OfoxAI client failure: ${error instanceof Error ? error.message : String(error)}`, { kind: 'unexpected' }, { cause: error });
    const scrubbed = scrubSecret(result.message, this.#secrets);
    if (scrubbed !== result.message) {
      result.message = scrubbed;
      if (result.stack !== undefined) result.stack = scrubSecret(result.stack, this.#secrets);
    }
    return result;
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#callerSignal?.removeEventListener('abort', this.#onCallerAbort);
  }
}
