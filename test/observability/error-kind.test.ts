import { describe, expect, it } from 'vitest';
import { abortError, LlmError, timeoutError } from '../../src/llm/errors.ts';
import { upstreamErrorKind } from '../../src/observability/error-kind.ts';
import { boundedLabel } from '../../src/observability/metrics-recorder.ts';

/** The `kind` label of upstream errors: a short closed set, never a message. */
describe('upstreamErrorKind', () => {
  it("names the client's failures by kind, timeouts by phase", () => {
    expect(upstreamErrorKind(new LlmError('slow down', { kind: 'rate-limit', retryAfterMs: undefined }, { status: 429 }))).toBe('429');
    expect(upstreamErrorKind(new LlmError('boom', { kind: 'server' }, { status: 502 }))).toBe('5xx');
    expect(upstreamErrorKind(new LlmError('busy', { kind: 'overloaded', retryAfterMs: 1_000 }, { status: 529 }))).toBe('5xx');
    expect(upstreamErrorKind(timeoutError('first-byte', 60_000))).toBe('timeout-first-byte');
    expect(upstreamErrorKind(timeoutError('idle', 25_000))).toBe('timeout-idle');
    expect(upstreamErrorKind(timeoutError('stall', 90_000))).toBe('timeout-stall');
    expect(upstreamErrorKind(new LlmError('cut', { kind: 'stream-cut-off' }))).toBe('cut-off');
    expect(upstreamErrorKind(new LlmError('too long', { kind: 'context-too-long' }, { status: 400 }))).toBe('context-too-long');
    expect(upstreamErrorKind(new LlmError('bad key', { kind: 'auth' }, { status: 401 }))).toBe('auth');
    expect(upstreamErrorKind(new LlmError('reset', { kind: 'network' }))).toBe('network');
    expect(upstreamErrorKind(abortError())).toBe('aborted');
    expect(upstreamErrorKind(new LlmError('no', { kind: 'refused' }, { status: 400 }))).toBe('refused');
  });

  it('calls anything else other', () => {
    expect(upstreamErrorKind(new TypeError('undefined is not a function'))).toBe('other');
    expect(upstreamErrorKind('a string')).toBe('other');
    expect(upstreamErrorKind(Object.assign(new Error('x'), { kind: 'rate-limit' }))).toBe('other');
  });
});

describe('boundedLabel', () => {
  it('keeps the first values of a label and reports the rest as other', () => {
    expect(['a', 'b', 'a', 'c', 'd'].map((value) => boundedLabel('test-label', value, 3))).toEqual(['a', 'b', 'a', 'c', 'other']);
    expect(boundedLabel('test-label', undefined, 3)).toBe('unknown');
  });
});
