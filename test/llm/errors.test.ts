import { describe, expect, it } from 'vitest';
import {
  LlmError,
  abortError,
  classifyUpstreamError,
  describeLlmError,
  extractUpstreamError,
  isLlmError,
  isRetryable,
  parseDurationMs,
  parseRateLimitHeaders,
  parseRetryAfterMs,
  timeoutError,
} from '../../src/llm/index.ts';

const classify = (status: number | undefined, body: unknown, headers = {}) =>
  classifyUpstreamError({ status, headers, details: extractUpstreamError(body), secrets: ['sk-secret-key'] });

describe('upstream failures become typed errors', () => {
  it.each([
    [401, 'auth', false],
    [403, 'auth', false],
    [429, 'rate-limit', true],
    [529, 'overloaded', true],
    [400, 'bad-request', false],
    [404, 'bad-request', false],
    [422, 'bad-request', false],
    [500, 'server', true],
    [502, 'server', true],
    [503, 'server', true],
  ] as const)('HTTP %i is %s, retryable %s', (status, kind, retryable) => {
    const error = classify(status, { error: { message: 'nope', type: 'x' } });
    expect(error).toBeInstanceOf(LlmError);
    expect(error.kind).toBe(kind);
    expect(isLlmError(error, kind)).toBe(true);
    expect(error.retryable).toBe(retryable);
    expect(isRetryable(error)).toBe(retryable);
    expect(error.status).toBe(status);
    expect(error.upstreamMessage).toBe('nope');
  });

  it.each([
    [{ error: { message: "This model's maximum context length is 8192 tokens", type: 'invalid_request_error', code: 'context_length_exceeded' } }],
    [{ type: 'error', error: { type: 'invalid_request_error', message: 'prompt is too long: 210000 tokens > 200000 maximum' } }],
    [{ error: { message: 'Input has too many tokens for this model' } }],
  ])('a 400 about the context length is a context-too-long error (%#)', (body) => {
    const error = classify(400, body);
    expect(error.kind).toBe('context-too-long');
    expect(error.retryable).toBe(false);
  });

  it('reads the Anthropic error shape', () => {
    const error = classify(529, { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });
    expect(error.kind).toBe('overloaded');
    expect(error.upstreamMessage).toBe('Overloaded');
    expect(classify(undefined, { type: 'error', error: { type: 'api_error', message: 'boom' } }).kind).toBe('server');
  });

  it('takes the wait from retry-after seconds, an HTTP date, retry-after-ms or x-ratelimit-reset-requests', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfterMs({ 'retry-after': '7' }, now)).toBe(7000);
    expect(parseRetryAfterMs({ 'retry-after': 'Thu, 01 Jan 2026 00:00:30 GMT' }, now)).toBe(30_000);
    expect(parseRetryAfterMs({ 'retry-after-ms': '1500' }, now)).toBe(1500);
    expect(parseRetryAfterMs({ 'x-ratelimit-reset-requests': '6m0s' }, now)).toBe(360_000);
    expect(parseRetryAfterMs({}, now)).toBeUndefined();
    const error = classify(429, { error: { message: 'slow down' } }, { 'retry-after': '3' });
    expect(error).toMatchObject({ kind: 'rate-limit', retryAfterMs: 3000 });
  });

  it('reads rate-limit durations the way gateways write them', () => {
    expect(parseDurationMs('1s')).toBe(1000);
    expect(parseDurationMs('6m0s')).toBe(360_000);
    expect(parseDurationMs('120ms')).toBe(120);
    expect(parseDurationMs('1h2m3.5s')).toBe(3_723_500);
    expect(parseDurationMs('20')).toBe(20_000);
    expect(parseDurationMs('0.5')).toBe(500);
    expect(parseDurationMs('soon')).toBeUndefined();
    expect(parseRateLimitHeaders({ 'x-ratelimit-limit-requests': '100', 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '59s' })).toEqual({
      limitRequests: 100,
      remainingRequests: 0,
      resetRequestsMs: 59_000,
    });
    expect(parseRateLimitHeaders({ 'content-type': 'text/event-stream' })).toBeUndefined();
  });

  it('scrubs the API key out of upstream messages', () => {
    const error = classify(401, { error: { message: 'Incorrect API key provided: sk-secret-key. Also Bearer sk-other' } });
    expect(error.message).not.toContain('sk-secret-key');
    expect(error.upstreamMessage).not.toContain('sk-secret-key');
    expect(error.upstreamMessage).not.toContain('sk-other');
  });
});

describe('each error kind tells a person what happened in one line', () => {
  const errors: Array<[unknown, RegExp]> = [
    [new LlmError('x', { kind: 'auth' }, { status: 401 }), /API key/],
    [new LlmError('x', { kind: 'rate-limit', retryAfterMs: 2500 }), /rate-limiting.*in 3 s/],
    [new LlmError('x', { kind: 'overloaded', retryAfterMs: undefined }), /overloaded/],
    [new LlmError('x', { kind: 'context-too-long' }, { status: 400 }), /too long/],
    [new LlmError('x', { kind: 'bad-request' }, { status: 400, upstreamMessage: 'unknown model "foo"\nsecond line' }), /refused the request \(400\): unknown model "foo" second line/],
    [new LlmError('x', { kind: 'server' }, { status: 502 }), /server error \(502\)/],
    [new LlmError('x', { kind: 'refused' }, { status: 400, upstreamMessage: 'content_policy_violation' }), /declined this request under its content policy: content_policy_violation; rephrase/],
    [new LlmError('x', { kind: 'network' }), /Could not reach OfoxAI/],
    [timeoutError('first-byte', 60_000), /did not start answering within 60 s/],
    [timeoutError('idle', 30_000), /stopped answering for 30 s/],
    [timeoutError('connect', 10_000), /connect/],
    [timeoutError('deadline', 600_000), /longer than 600 s/],
    [new LlmError('x', { kind: 'stream-cut-off' }), /broke off/],
    [new LlmError('x', { kind: 'malformed-stream' }), /broke off/],
    [abortError(), /cancelled/],
    [new LlmError('x', { kind: 'unexpected' }, { upstreamMessage: 'odd' }), /The model request failed: odd/],
    [new Error('anything'), /Something went wrong/],
  ];
  it.each(errors)('%o', (error, pattern) => {
    const line = describeLlmError(error);
    expect(line).toMatch(pattern);
    expect(line).not.toContain('\n');
  });

  it('marks which clocks may be retried: every timeout but the overall deadline', () => {
    expect(timeoutError('connect', 1).retryable).toBe(true);
    expect(timeoutError('first-byte', 1).retryable).toBe(true);
    expect(timeoutError('idle', 1).retryable).toBe(true);
    expect(timeoutError('deadline', 1).retryable).toBe(false);
    expect(abortError().name).toBe('AbortError');
    expect(abortError()).toBeInstanceOf(LlmError);
    expect(isRetryable(new Error('x'))).toBe(false);
  });
});
