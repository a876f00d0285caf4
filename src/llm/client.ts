import { Agent } from 'undici';
import type { Dispatcher } from 'undici';
import { CallScope } from './call-scope.ts';
import type { LlmClientOptions, RetryInfo } from './client-options.ts';
import { LLM_CLIENT_DEFAULTS } from './client-options.ts';
import { classifyUpstreamError, extractUpstreamError } from './classify-upstream-error.ts';
import { LlmError, timeoutError } from './errors.ts';
import { parseRateLimitHeaders, parseRetryAfterMs } from './http/rate-limit-headers.ts';
import { MODEL_LIST_LIMIT_BYTES, parseModelList } from './list-models.ts';
import { decodeLlmStream, decodeMessages } from './protocols/decode-llm-stream.ts';
import { jsonAnswerAsMessages } from './protocols/json-answer.ts';
import type { HttpRequestSpec, RequestDefaults } from './protocols/http-request.ts';
import { buildRequest, createStreamDecoder, selectProtocol } from './protocols/protocol.ts';
import type { ProtocolChoice, WireProtocol } from './protocols/protocol.ts';
import { backoffDelayMs } from './retry/backoff.ts';
import { abortableSleep } from './retry/sleep.ts';
import { HttpAttempt } from './transport/http-attempt.ts';
import { SilenceClock } from './transport/silence-clock.ts';
import type { AttemptTimeouts } from './transport/http-attempt.ts';
import type { ChatRequest, LlmClient, LlmEvent, ModelInfo, RateLimitInfo, StreamOptions } from './types.ts';

const ERROR_BODY_LIMIT_BYTES = 64 * 1024;
/** A whole answer sent as JSON instead of a stream: generous, as it holds every token of it. */
const JSON_ANSWER_LIMIT_BYTES = 8 * 1024 * 1024;

interface ClientContext {
  protocol: ProtocolChoice;
  defaults: RequestDefaults;
  timeouts: AttemptTimeouts;
  deadlineMs: number;
  stallBudgetMs: number;
  slowNoticeMs: number;
  maxAttempts: number;
  retryBaseMs: number;
  retryMaxMs: number;
  secrets: readonly string[];
  dispatcher: Dispatcher;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  random: () => number;
  onRetry: ((info: RetryInfo) => void) | undefined;
}

/** The OfoxAI client: one normalized event stream whichever protocol the model speaks. */
export function createLlmClient(options: LlmClientOptions): LlmClient {
  const connectTimeoutMs = options.connectTimeoutMs ?? LLM_CLIENT_DEFAULTS.connectTimeoutMs;
  const context: ClientContext = {
    protocol: options.protocol ?? LLM_CLIENT_DEFAULTS.protocol,
    defaults: {
      apiKey: options.apiKey,
      openaiBaseUrl: options.openaiBaseUrl.replace(/\/+$/, ''),
      anthropicBaseUrl: options.anthropicBaseUrl.replace(/\/+$/, ''),
      fallbackModels: options.fallbackModels,
      maxOutputTokens: options.maxOutputTokens,
    },
    timeouts: {
      connectTimeoutMs,
      firstByteTimeoutMs: options.firstByteTimeoutMs ?? LLM_CLIENT_DEFAULTS.firstByteTimeoutMs,
      idleTimeoutMs: options.idleTimeoutMs ?? LLM_CLIENT_DEFAULTS.idleTimeoutMs,
    },
    deadlineMs: options.deadlineMs ?? LLM_CLIENT_DEFAULTS.deadlineMs,
    stallBudgetMs: options.stallBudgetMs ?? LLM_CLIENT_DEFAULTS.stallBudgetMs,
    slowNoticeMs: options.slowNoticeMs ?? LLM_CLIENT_DEFAULTS.slowNoticeMs,
    maxAttempts: Math.max(1, options.maxAttempts ?? LLM_CLIENT_DEFAULTS.maxAttempts),
    retryBaseMs: options.retryBaseMs ?? LLM_CLIENT_DEFAULTS.retryBaseMs,
    retryMaxMs: options.retryMaxMs ?? LLM_CLIENT_DEFAULTS.retryMaxMs,
    secrets: options.apiKey === '' ? [] : [options.apiKey],
    // Our own clocks watch headers and body; undici's would fire first with coarser messages.
    dispatcher: options.dispatcher ?? new Agent({ connect: { timeout: connectTimeoutMs }, headersTimeout: 0, bodyTimeout: 0 }),
    sleep: options.sleep ?? abortableSleep,
    random: options.random ?? Math.random,
    onRetry: options.onRetry,
  };
  return {
    streamChat: (request, streamOptions) => streamChat(context, request, streamOptions ?? {}),
    listModels: (listOptions) => listModels(context, listOptions?.signal),
  };
}

/**
 * Events pass through as they arrive (fastest first token). When an attempt fails and another
 * follows, a `retry` event tells the consumer to drop everything this attempt emitted: text and
 * reasoning, and tool calls too (the Anthropic protocol emits each at its block's end, mid-stream).
 */
async function* streamChat(context: ClientContext, request: ChatRequest, options: StreamOptions): AsyncGenerator<LlmEvent, void, undefined> {
  const protocol = selectProtocol(request.model, context.protocol);
  const spec = buildRequest(protocol, request, context.defaults);
  const scope = new CallScope({ callerSignal: options.signal, deadlineMs: context.deadlineMs, secrets: context.secrets });
  const onSlow = options.onSlow;
  const silence = new SilenceClock({
    budgetMs: context.stallBudgetMs,
    slowAfterMs: context.slowNoticeMs,
    onExhausted: (budgetMs) => scope.abort(timeoutError('stall', budgetMs)),
    onSlow: onSlow && ((silentMs) => onSlow({ silentMs })),
  });
  silence.resume();
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        yield* streamAttempt(context, protocol, spec, scope.signal, silence, options.onRateLimit);
        return;
      } catch (error) {
        const failure = scope.explain(error);
        const delayMs = planRetry(context, scope, failure, attempt, silence);
        if (delayMs === undefined) throw failure;
        context.onRetry?.({ attempt, delayMs, error: failure });
        silence.pause();
        yield { type: 'retry', attempt, delayMs, reason: failure.message };
        silence.resume();
        await sleepWithin(context, scope, delayMs);
      }
    }
  } finally {
    silence.stop();
    scope.dispose();
  }
}

async function* streamAttempt(
  context: ClientContext,
  protocol: WireProtocol,
  spec: HttpRequestSpec,
  signal: AbortSignal,
  silence: SilenceClock,
  onRateLimit: ((info: RateLimitInfo) => void) | undefined,
): AsyncGenerator<LlmEvent, void, undefined> {
  const attempt = await HttpAttempt.open({ method: 'POST', ...spec }, { dispatcher: context.dispatcher, signal, timeouts: context.timeouts });
  let complete = false;
  try {
    reportRateLimit(attempt.status, attempt.headers, onRateLimit);
    if (attempt.status < 200 || attempt.status >= 300) throw await responseError(context, attempt);
    const contentType = String(attempt.headers['content-type'] ?? '');
    const decoder = createStreamDecoder(protocol, context.secrets);
    if (contentType.includes('application/json')) {
      // Some gateways answer an error, or a whole answer (ignoring `stream`), with a 200 JSON body.
      const text = await attempt.text(JSON_ANSWER_LIMIT_BYTES);
      const details = extractUpstreamError(text);
      if (details.message !== undefined || details.type !== undefined) throw classifyUpstreamError({ details, secrets: context.secrets });
      const messages = jsonAnswerAsMessages(protocol, parseJson(text));
      if (messages === undefined) throw new LlmError('OfoxAI answered with JSON instead of an event stream', { kind: 'malformed-stream' });
      for (const event of decodeMessages(messages, decoder)) {
        silence.progressed();
        silence.pause();
        yield event;
        silence.resume();
      }
      complete = true;
      return;
    }
    // Every chunk, keep-alives included, tells the silence clock that the model is still there.
    for await (const event of decodeLlmStream(attempt.bytes(() => silence.heard()), decoder)) {
      // One network chunk can hold many events; after an abort or the deadline none more is shown.
      if (signal.aborted) throw signal.reason;
      // The consumer's time with an event is not the model's silence.
      silence.progressed();
      silence.pause();
      yield event;
      silence.resume();
    }
    complete = true;
  } finally {
    attempt.dispose(complete);
  }
}

async function listModels(context: ClientContext, signal: AbortSignal | undefined): Promise<ModelInfo[]> {
  const scope = new CallScope({ callerSignal: signal, deadlineMs: context.deadlineMs, secrets: context.secrets });
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        const response = await HttpAttempt.open(
          {
            method: 'GET',
            url: `${context.defaults.openaiBaseUrl}/models`,
            headers: { authorization: `Bearer ${context.defaults.apiKey}`, accept: 'application/json' },
          },
          { dispatcher: context.dispatcher, signal: scope.signal, timeouts: context.timeouts },
        );
        try {
          return parseModelList(await response.text(MODEL_LIST_LIMIT_BYTES), response.status, context.secrets);
        } finally {
          response.dispose();
        }
      } catch (error) {
        const failure = scope.explain(error);
        const delayMs = planRetry(context, scope, failure, attempt);
        if (delayMs === undefined) throw failure;
        context.onRetry?.({ attempt, delayMs, error: failure });
        await sleepWithin(context, scope, delayMs);
      }
    }
  } finally {
    scope.dispose();
  }
}

/** The wait before the next attempt, or undefined when this failure is final. */
function planRetry(context: ClientContext, scope: CallScope, failure: LlmError, attempt: number, silence?: SilenceClock): number | undefined {
  if (!failure.retryable || attempt >= context.maxAttempts) return undefined;
  const retryAfterMs = failure.kind === 'rate-limit' || failure.kind === 'overloaded' ? failure.retryAfterMs : undefined;
  const delayMs = backoffDelayMs({
    failedAttempts: attempt,
    baseMs: context.retryBaseMs,
    maxMs: context.retryMaxMs,
    random: context.random,
    retryAfterMs,
  });
  // Waiting past the deadline (or the stall budget) only to be cut off there helps nobody: fail
  // now with the real cause.
  const remainingMs = Math.min(scope.remainingMs(), silence?.remainingMs() ?? Infinity);
  return delayMs < remainingMs ? delayMs : undefined;
}

async function sleepWithin(context: ClientContext, scope: CallScope, delayMs: number): Promise<void> {
  try {
    await context.sleep(delayMs, scope.signal);
  } catch (error) {
    throw scope.explain(error);
  }
  if (scope.signal.aborted) throw scope.explain(scope.signal.reason);
}

async function responseError(context: ClientContext, attempt: HttpAttempt): Promise<LlmError> {
  const text = await attempt.text(ERROR_BODY_LIMIT_BYTES);
  if (attempt.status < 400) return new LlmError(`OfoxAI answered HTTP ${attempt.status}; check the base URL`, { kind: 'bad-request' }, { status: attempt.status });
  return classifyUpstreamError({ status: attempt.status, headers: attempt.headers, details: extractUpstreamError(text), secrets: context.secrets });
}

function reportRateLimit(status: number, headers: HttpAttempt['headers'], onRateLimit: ((info: RateLimitInfo) => void) | undefined): void {
  if (onRateLimit === undefined) return;
  const info = parseRateLimitHeaders(headers);
  // A 429 tells the whole team to wait, not just this request's retry loop.
  const retryAfterMs = status === 429 ? parseRetryAfterMs(headers) : undefined;
  if (retryAfterMs !== undefined) onRateLimit({ ...info, retryAfterMs });
  else if (info !== undefined) onRateLimit(info);
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
