import { describe, expect, it } from 'vitest';
import {
  LlmAbortError,
  LlmAuthError,
  LlmContextTooLongError,
  LlmNetworkError,
  LlmOverloadedError,
  LlmRateLimitError,
  LlmServerError,
  LlmStreamCutOffError,
  LlmTimeoutError,
} from '../../src/llm/errors/index.ts';
import { upstreamErrorKind } from '../../src/observability/error-kind.ts';
import { boundedLabel } from '../../src/observability/metrics-recorder.ts';

/** The `kind` label of upstream errors: a short closed set, never a message. */
describe('upstreamErrorKind', () => {
  it("names the client's failures by kind, timeouts by phase", () => {
    expect(upstreamErrorKind(new LlmRateLimitError('slow down', { status: 429 }))).toBe('429');
    expect(upstreamErrorKind(new LlmServerError('boom', { status: 502 }))).toBe('5xx');
    expect(upstreamErrorKind(new LlmOverloadedError('busy', { status: 529 }))).toBe('5xx');
    expect(upstreamErrorKind(new LlmTimeoutError('first-byte', 60_000))).toBe('timeout-first-byte');
    expect(upstreamErrorKind(new LlmTimeoutError('idle', 60_000))).toBe('timeout-idle');
    expect(upstreamErrorKind(new LlmStreamCutOffError('cut'))).toBe('cut-off');
    expect(upstreamErrorKind(new LlmContextTooLongError('too long', { status: 400 }))).toBe('context-too-long');
    expect(upstreamErrorKind(new LlmAuthError('bad key', { status: 401 }))).toBe('auth');
    expect(upstreamErrorKind(new LlmNetworkError('reset'))).toBe('network');
    expect(upstreamErrorKind(new LlmAbortError())).toBe('aborted');
  });

  it('reads one error type with a discriminated kind the same way', () => {
    expect(upstreamErrorKind(Object.assign(new Error('x'), { kind: 'rate-limit' }))).toBe('429');
    expect(upstreamErrorKind(Object.assign(new Error('x'), { kind: 'timeout', phase: 'connect' }))).toBe('timeout-connect');
    expect(upstreamErrorKind(Object.assign(new Error('x'), { kind: 'stream-cut-off' }))).toBe('cut-off');
    expect(upstreamErrorKind(Object.assign(new Error('x'), { kind: 'bad-request' }))).toBe('bad-request');
    expect(upstreamErrorKind(Object.assign(new Error('x'), { kind: 'Not A Label; DROP' }))).toBe('other');
  });

  it('calls anything else other', () => {
    expect(upstreamErrorKind(new TypeError('undefined is not a function'))).toBe('other');
    expect(upstreamErrorKind('a string')).toBe('other');
  });
});

describe('boundedLabel', () => {
  it('keeps the first values of a label and reports the rest as other', () => {
    expect(['a', 'b', 'a', 'c', 'd'].map((value) => boundedLabel('test-label', value, 3))).toEqual(['a', 'b', 'a', 'c', 'other']);
    expect(boundedLabel('test-label', undefined, 3)).toBe('unknown');
  });
});
