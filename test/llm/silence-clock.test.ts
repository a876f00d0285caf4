import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LLM_CLIENT_DEFAULTS } from '../../src/llm/index.ts';
import { SilenceClock } from '../../src/llm/transport/silence-clock.ts';

describe('the silence clock of one call', () => {
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  function clock(budgetMs: number = LLM_CLIENT_DEFAULTS.stallBudgetMs, slowAfterMs: number = LLM_CLIENT_DEFAULTS.slowNoticeMs) {
    const exhausted: number[] = [];
    const slow: number[] = [];
    const silence = new SilenceClock({ budgetMs, slowAfterMs, onExhausted: (ms) => exhausted.push(ms), onSlow: (ms) => slow.push(ms), now: () => Date.now() });
    return { silence, exhausted, slow };
  }

  it('at default settings a silent model is reported slow after 10 s and the call ends after 90 s', () => {
    const { silence, exhausted, slow } = clock();
    silence.resume();
    vi.advanceTimersByTime(9_999);
    expect(slow).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(slow).toEqual([10_000]);
    vi.advanceTimersByTime(79_998);
    expect(exhausted).toEqual([]);
    vi.advanceTimersByTime(2);
    expect(exhausted).toEqual([90_000]);
    expect(slow).toEqual([10_000]);
  });

  it('bytes refill the budget, but only events end a slow silence', () => {
    const { silence, exhausted, slow } = clock(1_000, 300);
    silence.resume();
    for (let step = 0; step < 10; step += 1) {
      vi.advanceTimersByTime(500);
      silence.heard();
    }
    expect(exhausted).toEqual([]);
    // Keep-alives for 5 s but no event: slow once, not once per keep-alive.
    expect(slow).toEqual([300]);
    silence.progressed();
    vi.advanceTimersByTime(299);
    expect(slow).toEqual([300]);
    vi.advanceTimersByTime(1);
    expect(slow).toEqual([300, 300]);
    vi.advanceTimersByTime(1_000);
    expect(exhausted).toEqual([1_000]);
  });

  it("the consumer's time with an event does not count as the model's silence", () => {
    const { silence, exhausted, slow } = clock(1_000, 300);
    silence.resume();
    vi.advanceTimersByTime(200);
    silence.progressed();
    silence.pause();
    vi.advanceTimersByTime(10_000);
    expect(slow).toEqual([]);
    expect(exhausted).toEqual([]);
    silence.resume();
    vi.advanceTimersByTime(299);
    expect(slow).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(slow).toEqual([300]);
    expect(silence.remainingMs()).toBe(700);
  });

  it('a stopped clock reports nothing', () => {
    const { silence, exhausted, slow } = clock(1_000, 300);
    silence.resume();
    silence.stop();
    vi.advanceTimersByTime(5_000);
    expect(slow).toEqual([]);
    expect(exhausted).toEqual([]);
  });
});
