import { describe, expect, it } from 'vitest';
import { LocalWritePacer, ProgressiveMessage, type WritePacer, type Clock, type SurfaceLimits } from '../../src/render/index.ts';
import { ManualClock } from './helpers/manual-clock.ts';
import { busiestWindow, RecordingSurface, type SurfaceCall } from './helpers/recording-surface.ts';

/** Counts the timers the renderer itself holds, apart from the fake platform's latency timers. */
class TimerCountingClock implements Clock {
  private readonly inner: Clock;
  private readonly live = new Set<unknown>();
  peak = 0;
  constructor(inner: Clock) {
    this.inner = inner;
  }
  now(): number {
    return this.inner.now();
  }
  setTimeout(callback: () => void, delayMs: number): unknown {
    const timer = this.inner.setTimeout(() => {
      this.live.delete(timer);
      callback();
    }, delayMs);
    this.live.add(timer);
    this.peak = Math.max(this.peak, this.live.size);
    return timer;
  }
  clearTimeout(timer: unknown): void {
    this.live.delete(timer);
    this.inner.clearTimeout(timer);
  }
  get pending(): number {
    return this.live.size;
  }
}

describe('a thousand answers streaming in one process', () => {
  it('hold at most one timer each and ask the pacer only when they have something to send', async () => {
    const clock = new ManualClock();
    const rendererClock = new TimerCountingClock(clock);
    const limits: SurfaceLimits = { maxChars: 2_000, minEditIntervalMs: 1_000, channelEditsPerWindow: 5, channelWindowMs: 5_000 };
    const local = new LocalWritePacer({ clock });
    let reservations = 0;
    const pacer: WritePacer = {
      acquire: (request) => {
        reservations += 1;
        return local.acquire(request);
      },
      withdraw: (ticket, budgets) => local.withdraw(ticket, budgets),
      tryReserveNow: (budgets, options) => local.tryReserveNow(budgets, options),
      holdOff: (budgets, delayMs) => local.holdOff(budgets, delayMs),
    };
    const channels = new Map<string, SurfaceCall[]>();
    const answers = Array.from({ length: 1_000 }, (_, index) => {
      const channelKey = `discord:${index % 100}`;
      const channelLog = channels.get(channelKey) ?? [];
      channels.set(channelKey, channelLog);
      const surface = new RecordingSurface({ clock, limits, channelKey, channelLog, idPrefix: `a${index}-`, latency: () => 80 });
      const message = new ProgressiveMessage({ surface, pacer, clock: rendererClock, placeholder: surface.placeholder() });
      return { surface, message };
    });

    for (let step = 1; step <= 40; step += 1) {
      for (const [index, answer] of answers.entries()) answer.message.setBody(`answer ${index}: ${'token '.repeat(step * 5)}`);
      await clock.advance(250);
    }
    await clock.run(Promise.all(answers.map((answer) => answer.message.finish({ outcome: 'complete' }))));

    const calls = answers.reduce((total, answer) => total + answer.surface.calls.length, 0);
    expect(rendererClock.peak).toBeLessThanOrEqual(answers.length);
    expect(rendererClock.pending).toBe(0);
    // Waiting writes ask again when their turn should have come (a few times per write when ten
    // answers share each channel); finished answers never ask again.
    expect(reservations).toBeLessThanOrEqual(5 * calls);
    const asked = reservations;
    await clock.advance(60_000);
    expect(reservations).toBe(asked);
    for (const log of channels.values()) expect(busiestWindow(log, 5_000)).toBeLessThanOrEqual(5);
    for (const [index, answer] of answers.entries()) expect(answer.surface.texts()).toEqual([`answer ${index}: ${'token '.repeat(200)}`.trimEnd()]);
  });
});
