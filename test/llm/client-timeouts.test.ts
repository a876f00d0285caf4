import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { flushHeaders, keepAlive, serverError, slowFirstByte, stall, startFakeOfox, text } from '../fakes/ofox/index.ts';
import { MODELS, PROTOCOLS, ask, clientFor, collect, finalRound, textOf } from './support/collect.ts';

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

async function until(condition: () => boolean, timeoutMs = 2000): Promise<void> {
  const started = Date.now();
  while (!condition()) {
    if (Date.now() - started > timeoutMs) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

describe.each(PROTOCOLS)('clocks and cancellation over the %s protocol', (protocol) => {
  const model = MODELS[protocol];

  it('a server silent before its first byte hits the first-byte timeout', async () => {
    fake.respond(() => [slowFirstByte(2000), text('too late')]);
    const { error } = await collect(clientFor(fake, { firstByteTimeoutMs: 60, maxAttempts: 1 }).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'timeout' });
    expect(error).toMatchObject({ phase: 'first-byte', retryable: true });
  });

  it('response headers without a body byte still count as no first byte', async () => {
    fake.respond(() => [flushHeaders(), stall(2000), text('too late')]);
    const { error } = await collect(clientFor(fake, { firstByteTimeoutMs: 60, maxAttempts: 1 }).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'timeout', phase: 'first-byte' });
  });

  it('a first-byte timeout is retried and the next attempt can succeed', async () => {
    fake.enqueue([slowFirstByte(2000), text('too late')], [text('on time')]);
    const { events, error } = await collect(clientFor(fake, { firstByteTimeoutMs: 80 }).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    expect(events[0]).toMatchObject({ type: 'retry', reason: expect.stringMatching(/first byte/) });
    expect(textOf(finalRound(events))).toBe('on time');
  });

  it('a stream that stalls mid-answer hits the idle timeout', async () => {
    fake.respond(() => [text('Once upon'), stall(2000), text(' a time')]);
    const { events, error } = await collect(clientFor(fake, { idleTimeoutMs: 60, maxAttempts: 1 }).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'timeout', phase: 'idle', timeoutMs: 60 });
    expect(textOf(events)).toBe('Once upon');
  });

  it('keep-alives keep a slow stream alive', async () => {
    fake.enqueue([text('a'), keepAlive(), stall(40), keepAlive(), stall(40), keepAlive(), stall(40), text('b')]);
    const { events, error } = await collect(clientFor(fake, { idleTimeoutMs: 150, maxAttempts: 1 }).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('ab');
  });

  it('a slow consumer is not mistaken for a silent server', async () => {
    fake.enqueue([text('one two three four')]);
    const events = [];
    for await (const event of clientFor(fake, { idleTimeoutMs: 40, maxAttempts: 1 }).streamChat({ model, messages: ask() })) {
      events.push(event);
      await new Promise((resolve) => setTimeout(resolve, 60));
    }
    expect(textOf(events)).toBe('one two three four');
  });

  it('the overall deadline ends the call and is not retried', async () => {
    fake.respond(() => [text('slow'), stall(5000)]);
    const { error } = await collect(clientFor(fake, { deadlineMs: 100, idleTimeoutMs: 10_000 }).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'timeout', phase: 'deadline', retryable: false });
    expect(fake.requests).toHaveLength(1);
  });

  it("the caller's abort stops a stream promptly, with an AbortError and no retry", async () => {
    fake.respond(() => [text('Starting'), stall(10_000), text('never')]);
    const controller = new AbortController();
    const started = Date.now();
    let caught: unknown;
    try {
      for await (const event of clientFor(fake).streamChat({ model, messages: ask() }, { signal: controller.signal })) {
        if (event.type === 'text') controller.abort();
      }
    } catch (error) {
      caught = error;
    }
    expect(caught).toMatchObject({ name: 'AbortError', kind: 'abort' });
    expect((caught as Error).name).toBe('AbortError');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(fake.requests).toHaveLength(1);
    await until(() => fake.activeStreams === 0);
  });

  it('an abort during the wait before a retry ends the call at once', async () => {
    fake.respond(() => [serverError(503)]);
    const controller = new AbortController();
    const stream = clientFor(fake, { retryBaseMs: 60_000, retryMaxMs: 60_000, random: () => 1 }).streamChat({ model, messages: ask() }, { signal: controller.signal });
    const started = Date.now();
    const { events, error } = await collect(
      (async function* () {
        for await (const event of stream) {
          yield event;
          if (event.type === 'retry') setTimeout(() => controller.abort(), 20);
        }
      })(),
    );
    expect(events.map((event) => event.type)).toEqual(['retry']);
    expect(error).toMatchObject({ name: 'AbortError', kind: 'abort' });
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('an already aborted signal fails before anything is sent', async () => {
    const { error } = await collect(clientFor(fake).streamChat({ model, messages: ask() }, { signal: AbortSignal.abort() }));
    expect(error).toMatchObject({ name: 'AbortError', kind: 'abort' });
  });

  it('a consumer that stops reading early releases the stream', async () => {
    fake.respond(() => [text('one'), stall(10_000), text('two')]);
    for await (const event of clientFor(fake).streamChat({ model, messages: ask() })) {
      if (event.type === 'text') break;
    }
    await until(() => fake.activeStreams === 0);
  });
});

describe('abort between events of one chunk', () => {
  it('no further event is shown once the caller aborted, even if it arrived in the same chunk', async () => {
    const fake = await startFakeOfox();
    try {
      fake.enqueue([text('one two three four five six')]);
      const controller = new AbortController();
      const seen: string[] = [];
      const { error } = await collect(
        (async function* () {
          for await (const event of clientFor(fake).streamChat({ model: MODELS.openai, messages: ask() }, { signal: controller.signal })) {
            if (event.type === 'text') {
              seen.push(event.delta);
              controller.abort();
            }
            yield event;
          }
        })(),
      );
      expect(error).toMatchObject({ name: 'AbortError', kind: 'abort' });
      expect(seen).toEqual(['one ']);
    } finally {
      await fake.close();
    }
  });
});
