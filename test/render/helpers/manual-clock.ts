import type { Clock } from '../../../src/render/clock.ts';

interface Timer {
  at: number;
  order: number;
  callback: () => void;
}

/** Lets the promises already in motion settle before virtual time moves on. */
export function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Virtual time: timers fire only when the test advances the clock, in order, with every promise
 * chain settled between two timers, so a whole streamed answer replays in milliseconds.
 */
export class ManualClock implements Clock {
  private current = 0;
  private order = 0;
  // Sorted by (at, order): the next timer is always first.
  private timers: Timer[] = [];
  /** The most timers ever pending at once. */
  peakTimers = 0;

  now(): number {
    return this.current;
  }

  setTimeout(callback: () => void, delayMs: number): unknown {
    const timer: Timer = { at: this.current + Math.max(0, delayMs), order: this.order++, callback };
    let low = 0;
    let high = this.timers.length;
    while (low < high) {
      const middle = (low + high) >> 1;
      const other = this.timers[middle]!;
      if (other.at < timer.at || (other.at === timer.at && other.order < timer.order)) low = middle + 1;
      else high = middle;
    }
    this.timers.splice(low, 0, timer);
    this.peakTimers = Math.max(this.peakTimers, this.timers.length);
    return timer;
  }

  clearTimeout(timer: unknown): void {
    const index = this.timers.indexOf(timer as Timer);
    if (index !== -1) this.timers.splice(index, 1);
  }

  get pendingTimers(): number {
    return this.timers.length;
  }

  /** Fires the timers due within `ms`, in order, then sets the time to now + ms. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    await settleMicrotasks();
    for (let timer = this.timers[0]; timer && timer.at <= until; timer = this.timers[0]) {
      this.timers.shift();
      this.current = timer.at;
      timer.callback();
      await settleMicrotasks();
    }
    this.current = until;
    await settleMicrotasks();
  }

  /** Fires timers in order until `promise` settles; throws if nothing is left to fire first. */
  async run<T>(promise: Promise<T>, maxVirtualMs = 24 * 3_600_000): Promise<T> {
    let settled = false;
    const watched = promise.finally(() => {
      settled = true;
    });
    watched.catch(() => {});
    const deadline = this.current + maxVirtualMs;
    await settleMicrotasks();
    while (!settled) {
      const timer = this.timers.shift();
      if (!timer) throw new Error(`deadlock at ${this.current} ms: the promise waits, but no timer is pending`);
      if (timer.at > deadline) throw new Error(`still waiting after ${maxVirtualMs} virtual ms`);
      this.current = timer.at;
      timer.callback();
      await settleMicrotasks();
    }
    return watched;
  }
}
