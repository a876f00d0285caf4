import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeLlmError } from '../../src/llm/index.ts';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { keepAlive, rateLimited, stall, startFakeOfox, text } from '../fakes/ofox/index.ts';
import type { LlmClient, LlmEvent } from '../../src/llm/index.ts';
import { MODELS, PROTOCOLS, ask, clientFor, collect, finalRound, textOf } from './support/collect.ts';

// The defaults scaled down 60×: idle 0.5 s per attempt, 1.5 s of silence per call, slow after 0.25 s.
// The first-byte clock is longer than the budget so that the budget is what ends a silent retry.
const CLOCKS = { idleTimeoutMs: 500, firstByteTimeoutMs: 2_000, stallBudgetMs: 1_500, slowNoticeMs: 250 };

/**
 * Drains a stream, noting for every slow notice the text shown so far. Under a loaded machine the
 * first byte itself may take longer than the scaled-down notice, which is then rightly reported
 * too; the assertions look at the notices that came after text.
 */
async function collectNotingSlow(client: LlmClient, model: string, onEvent?: () => Promise<void>) {
  const events: LlmEvent[] = [];
  const slowAfter: string[] = [];
  let error: unknown;
  try {
    for await (const event of client.streamChat({ model, messages: ask() }, { onSlow: () => slowAfter.push(textOf(finalRound(events))) })) {
      events.push(event);
      await onEvent?.();
    }
  } catch (caught) {
    error = caught;
  }
  return { events, error, slowAfterText: slowAfter.filter((shown) => shown !== '') };
}

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

describe.each(PROTOCOLS)('a stalled model over the %s protocol', (protocol) => {
  const model = MODELS[protocol];

  it('a model that stays silent ends within the stall budget with a readable error, not one idle timeout per attempt', async () => {
    fake.enqueue([text('Once upon'), stall(10_000), text(' a time')]);
    fake.respond(() => [stall(10_000), text('too late')]);
    const started = performance.now();
    const { events, error, slowAfterText } = await collectNotingSlow(clientFor(fake, { ...CLOCKS, maxAttempts: 10 }), model);
    const elapsedMs = performance.now() - started;
    expect(error).toMatchObject({ name: 'LlmError', kind: 'timeout', phase: 'stall', timeoutMs: 1_500, retryable: false });
    expect(describeLlmError(error)).toBe('The model sent nothing for 2 s, even after retrying; try again later or pick another model.');
    // The first attempt stalls into its idle timeout (0.5 s); the retry stays silent until the budget is spent (1 s more).
    expect(fake.requests).toHaveLength(2);
    expect(textOf(events)).toBe('Once upon');
    expect(events.at(-1)?.type).toBe('retry');
    expect(elapsedMs).toBeGreaterThanOrEqual(1_400);
    expect(elapsedMs).toBeLessThan(5_000);
    expect(slowAfterText).toEqual(['Once upon']);
  });

  it('a stall that a retry cures completes the answer, its text not repeated, with one slow notice', async () => {
    fake.enqueue([text('Once upon'), stall(10_000)], [text('Once upon a time.')]);
    const { events, error, slowAfterText } = await collectNotingSlow(clientFor(fake, CLOCKS), model);
    expect(error).toBeUndefined();
    expect(fake.requests).toHaveLength(2);
    expect(textOf(finalRound(events))).toBe('Once upon a time.');
    expect(finalRound(events).at(-1)).toEqual({ type: 'finish', reason: 'stop' });
    expect(slowAfterText).toEqual(['Once upon']);
  });

  it('keep-alives keep the connection but a model that says nothing is still reported slow', async () => {
    fake.enqueue([text('a'), keepAlive(), stall(200), keepAlive(), stall(200), keepAlive(), stall(200), keepAlive(), stall(200), text('b')]);
    const { events, error, slowAfterText } = await collectNotingSlow(clientFor(fake, CLOCKS), model);
    expect(error).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(textOf(events)).toBe('ab');
    expect(slowAfterText).toEqual(['a']);
  });

  it('a retry whose wait would outlast the stall budget fails at once with its own error', async () => {
    fake.enqueue([rateLimited(5)]);
    const { error } = await collect(clientFor(fake, CLOCKS).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'rate-limit', retryAfterMs: 5_000 });
    expect(fake.requests).toHaveLength(1);
  });

  it("a slow consumer is not the model's silence", async () => {
    fake.enqueue([text('one two three four five')]);
    const { events, error, slowAfterText } = await collectNotingSlow(clientFor(fake, CLOCKS), model, () => new Promise((resolve) => setTimeout(resolve, 300)));
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('one two three four five');
    expect(slowAfterText).toEqual([]);
    expect(fake.requests).toHaveLength(1);
  });
});
