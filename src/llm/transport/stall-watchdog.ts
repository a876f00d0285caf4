import type { TimeoutPhase } from '../errors.ts';

/**
 * Measures only the time spent waiting on the network: the clock runs while the transport awaits
 * the next bytes and stops while the consumer is busy with an event, so a slow consumer (a chat
 * edit, a tool) is never mistaken for a silent server. One timer per attempt, re-armed lazily
 * instead of cleared and recreated for every chunk.
 */
export class StallWatchdog {
  readonly #onStall: (phase: TimeoutPhase, limitMs: number) => void;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #phase: TimeoutPhase = 'first-byte';
  #limitMs = 0;
  #waitingSince: number | undefined;
  #stopped = false;

  constructor(onStall: (phase: TimeoutPhase, limitMs: number) => void) {
    this.#onStall = onStall;
  }

  /** Starts (or restarts) the clock for one wait. */
  wait(phase: TimeoutPhase, limitMs: number): void {
    if (this.#stopped) return;
    const now = performance.now();
    const sooner = this.#waitingSince === undefined || phase !== this.#phase || limitMs < this.#limitMs;
    this.#phase = phase;
    this.#limitMs = limitMs;
    this.#waitingSince = now;
    if (this.#timer === undefined || sooner) this.#arm(limitMs);
  }

  /** The awaited bytes arrived; the clock pauses until the next `wait`. */
  pause(): void {
    this.#waitingSince = undefined;
  }

  stop(): void {
    this.#stopped = true;
    this.#waitingSince = undefined;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #arm(delayMs: number): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = setTimeout(this.#check, Math.max(1, Math.ceil(delayMs)));
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    if (this.#stopped || this.#waitingSince === undefined) return;
    const elapsed = performance.now() - this.#waitingSince;
    // Timers may fire a hair early relative to performance.now(); a millisecond is noise.
    if (elapsed + 1 >= this.#limitMs) {
      this.stop();
      this.#onStall(this.#phase, this.#limitMs);
    } else {
      this.#arm(this.#limitMs - elapsed);
    }
  };
}
