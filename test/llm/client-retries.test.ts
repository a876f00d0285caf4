import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { LlmError, RateLimitInfo, RetryInfo } from '../../src/llm/index.ts';
import { backoffDelayMs } from '../../src/llm/index.ts';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { contextTooLong, disconnect, overloaded, rateLimited, serverError, startFakeOfox, text, wait } from '../fakes/ofox/index.ts';
import { MODELS, PROTOCOLS, ask, clientFor, collect, finalRound, recordingSleep, textOf } from './support/collect.ts';

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox({ apiKey: 'sk-test-retries' });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

describe.each(PROTOCOLS)('retries over the %s protocol', (protocol) => {
  const model = MODELS[protocol];

  it('a 500 then a good answer succeeds on the second attempt', async () => {
    fake.enqueue([serverError(500)], [text('Recovered.')]);
    const { events, error } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    expect(events[0]).toMatchObject({ type: 'retry', attempt: 1 });
    expect(textOf(finalRound(events))).toBe('Recovered.');
    expect(fake.requests).toHaveLength(2);
  });

  it('a stream cut off before its end marker is retried and its text replaced', async () => {
    fake.enqueue([text('Hello wor', { chunkSize: 3 }), wait(30), disconnect()], [text('Hello world, in full.')]);
    const { events, error } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    const retryAt = events.findIndex((event) => event.type === 'retry');
    expect(textOf(events.slice(0, retryAt))).toBe('Hello wor');
    expect(events[retryAt]).toMatchObject({ type: 'retry', attempt: 1, reason: expect.stringMatching(/broke off|ended before/) });
    expect(textOf(finalRound(events))).toBe('Hello world, in full.');
    expect(finalRound(events).at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });

  it('a 429 waits at least as long as Retry-After, even beyond retryMaxMs', async () => {
    fake.enqueue([rateLimited(3)], [text('ok')]);
    const { sleep, delays } = recordingSleep();
    const { events, error } = await collect(clientFor(fake, { sleep, retryMaxMs: 50 }).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    expect(delays).toEqual([3000]);
    expect(events[0]).toEqual({ type: 'retry', attempt: 1, delayMs: 3000, reason: expect.stringContaining('429') });
  });

  it('a Retry-After longer than the overall deadline fails at once with the rate-limit error', async () => {
    fake.enqueue([rateLimited(120)]);
    const { sleep, delays } = recordingSleep();
    const { error } = await collect(clientFor(fake, { sleep, deadlineMs: 10_000 }).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'rate-limit', retryAfterMs: 120_000 });
    expect(delays).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });

  it('529 overloaded is retried', async () => {
    fake.enqueue([overloaded()], [text('fine now')]);
    const { events } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(textOf(finalRound(events))).toBe('fine now');
  });

  it('a wrong API key fails at once with an auth error, never retried', async () => {
    const client = clientFor(fake, { apiKey: 'sk-wrong-key' });
    const { error } = await collect(client.streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'auth' });
    expect((error as LlmError).status).toBe(401);
    expect(fake.requests).toHaveLength(1);
  });

  it('a context that is too long is not retried', async () => {
    fake.enqueue([contextTooLong()]);
    const { error } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'context-too-long' });
    expect(fake.requests).toHaveLength(1);
  });

  it('gives up after maxAttempts with the last typed error', async () => {
    fake.respond(() => [serverError(502)]);
    const retries: RetryInfo[] = [];
    const { events, error } = await collect(clientFor(fake, { maxAttempts: 3, onRetry: (info) => retries.push(info) }).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'server' });
    expect((error as LlmError).status).toBe(502);
    expect(events.filter((event) => event.type === 'retry').map((event) => (event.type === 'retry' ? event.attempt : 0))).toEqual([1, 2]);
    expect(retries.map((info) => info.attempt)).toEqual([1, 2]);
    expect(fake.requests).toHaveLength(3);
  });

  it('reports the rate-limit headers of every response, 429s included', async () => {
    fake.enqueue({ steps: [rateLimited(0)], headers: { 'x-ratelimit-remaining-requests': '0', 'x-ratelimit-reset-requests': '6m0s' } }, [text('ok')]);
    const seen: RateLimitInfo[] = [];
    await collect(clientFor(fake).streamChat({ model, messages: ask() }, { onRateLimit: (info) => seen.push(info) }));
    expect(seen).toEqual([
      // A 429 also carries its Retry-After, so the team's budget can hold everyone back.
      { limitRequests: 1000, remainingRequests: 0, resetRequestsMs: 360_000, retryAfterMs: 0 },
      { limitRequests: 1000, remainingRequests: 999, resetRequestsMs: 1000 },
    ]);
  });
});

describe('backoff', () => {
  it('grows exponentially with full jitter and is capped by retryMaxMs', () => {
    const delays = [1, 2, 3, 4, 5].map((failedAttempts) => backoffDelayMs({ failedAttempts, baseMs: 100, maxMs: 500, random: () => 0.999 }));
    expect(delays).toEqual([99, 199, 399, 499, 499]);
    expect(backoffDelayMs({ failedAttempts: 3, baseMs: 100, maxMs: 500, random: () => 0 })).toBe(0);
  });

  it('never goes below Retry-After', () => {
    expect(backoffDelayMs({ failedAttempts: 1, baseMs: 100, maxMs: 500, random: () => 0.5, retryAfterMs: 7000 })).toBe(7000);
  });

  it('the client waits what the backoff says between attempts', async () => {
    fake.respond(() => [serverError(500)]);
    const { sleep, delays } = recordingSleep();
    await collect(clientFor(fake, { sleep, maxAttempts: 4, retryBaseMs: 100, retryMaxMs: 300, random: () => 0.999 }).streamChat({ model: MODELS.openai, messages: ask() }));
    expect(delays).toEqual([99, 199, 299]);
  });
});
