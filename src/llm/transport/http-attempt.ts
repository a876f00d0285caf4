import { request } from 'undici';
import type { Dispatcher } from 'undici';
import { LlmError, timeoutError } from '../errors.ts';
import type { HeaderBag } from '../http/rate-limit-headers.ts';
import { StallWatchdog } from './stall-watchdog.ts';

export interface AttemptTimeouts {
  connectTimeoutMs: number;
  firstByteTimeoutMs: number;
  idleTimeoutMs: number;
}

export interface AttemptRequest {
  method: 'GET' | 'POST';
  url: string;
  headers: Record<string, string>;
  body?: string;
}

type ResponseBody = Dispatcher.ResponseData['body'];

/** How much of an unread body we drain so the connection can be reused. */
const DRAIN_LIMIT_BYTES = 64 * 1024;
const DRAIN_TIMEOUT_MS = 1000;

/**
 * One HTTP exchange with OfoxAI under the client's clocks. `signal` is the caller's (already
 * combined with the overall deadline); its reason, when it is an `LlmError`, is what gets thrown.
 * Always `dispose()` it.
 */
export class HttpAttempt {
  readonly status: number;
  readonly headers: HeaderBag;
  readonly #body: ResponseBody;
  readonly #controller: AbortController;
  readonly #watchdog: StallWatchdog;
  readonly #timeouts: AttemptTimeouts;
  readonly #release: () => void;
  #ended = false;

  private constructor(init: {
    status: number;
    headers: HeaderBag;
    body: ResponseBody;
    controller: AbortController;
    watchdog: StallWatchdog;
    timeouts: AttemptTimeouts;
    release: () => void;
  }) {
    this.status = init.status;
    this.headers = init.headers;
    this.#body = init.body;
    this.#controller = init.controller;
    this.#watchdog = init.watchdog;
    this.#timeouts = init.timeouts;
    this.#release = init.release;
  }

  static async open(spec: AttemptRequest, options: { dispatcher: Dispatcher; signal: AbortSignal; timeouts: AttemptTimeouts }): Promise<HttpAttempt> {
    const controller = new AbortController();
    const forward = (): void => controller.abort(options.signal.reason);
    if (options.signal.aborted) forward();
    else options.signal.addEventListener('abort', forward, { once: true });
    const release = (): void => options.signal.removeEventListener('abort', forward);
    const watchdog = new StallWatchdog((phase, limitMs) => controller.abort(timeoutError(phase, limitMs)));
    // The first-byte clock covers everything up to the first body byte: headers alone prove little.
    watchdog.wait('first-byte', options.timeouts.firstByteTimeoutMs);
    try {
      const response = await request(spec.url, {
        method: spec.method,
        headers: spec.headers,
        body: spec.body ?? null,
        dispatcher: options.dispatcher,
        signal: controller.signal,
      });
      return new HttpAttempt({
        status: response.statusCode,
        headers: response.headers,
        body: response.body,
        controller,
        watchdog,
        timeouts: options.timeouts,
        release,
      });
    } catch (error) {
      watchdog.stop();
      release();
      throw translate(error, controller.signal, 'request', options.timeouts);
    }
  }

  /** The body's bytes as they arrive, under the first-byte and idle clocks; `onChunk` hears each arrival. */
  async *bytes(onChunk?: () => void): AsyncGenerator<Uint8Array, void, undefined> {
    const iterator = this.#body[Symbol.asyncIterator]();
    let first = true;
    while (true) {
      if (!first) this.#watchdog.wait('idle', this.#timeouts.idleTimeoutMs);
      let next: IteratorResult<Uint8Array>;
      try {
        next = (await iterator.next()) as IteratorResult<Uint8Array>;
      } catch (error) {
        throw translate(error, this.#controller.signal, 'body', this.#timeouts);
      } finally {
        this.#watchdog.pause();
      }
      if (next.done) {
        this.#ended = true;
        return;
      }
      first = false;
      onChunk?.();
      yield next.value;
    }
  }

  /** The whole body as text (error responses, the model list), under the same clocks. */
  async text(maxBytes = 1024 * 1024): Promise<string> {
    const decoder = new TextDecoder();
    let text = '';
    let size = 0;
    for await (const chunk of this.bytes()) {
      size += chunk.length;
      if (size > maxBytes) break;
      text += decoder.decode(chunk, { stream: true });
    }
    return text + decoder.decode();
  }

  /**
   * Releases the attempt. `complete` says the protocol's end marker arrived: then the few bytes
   * still due (the chunked terminator) are drained so the keep-alive connection survives.
   * Anything else (a failure, a consumer that left mid-answer) closes the connection at once.
   */
  dispose(complete = false): void {
    this.#watchdog.stop();
    this.#release();
    if (this.#ended) return;
    if (!complete || this.#controller.signal.aborted) {
      this.#body.destroy();
      return;
    }
    this.#body.dump({ limit: DRAIN_LIMIT_BYTES, signal: AbortSignal.timeout(DRAIN_TIMEOUT_MS) }).catch(() => this.#body.destroy());
  }
}

function translate(error: unknown, signal: AbortSignal, stage: 'request' | 'body', timeouts: AttemptTimeouts): LlmError {
  if (signal.aborted && signal.reason instanceof LlmError) return signal.reason;
  if (error instanceof LlmError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return timeoutError('connect', timeouts.connectTimeoutMs, { cause: error });
  const detail = typeof code === 'string' ? code : error instanceof Error ? error.message : String(error);
  if (stage === 'body') return new LlmError(`The OfoxAI stream broke off (${detail}); the answer is incomplete`, { kind: 'stream-cut-off' }, { cause: error });
  return new LlmError(`Could not reach OfoxAI (${detail})`, { kind: 'network' }, { cause: error });
}
