export interface SilenceClockOptions {
  /** Silence since the model's last byte after which the call ends (`onExhausted`). */
  budgetMs: number;
  /** Silence since the last event after which `onSlow` is told, once per such silence. */
  slowAfterMs: number;
  onExhausted(budgetMs: number): void;
  onSlow?: ((silentMs: number) => void) | undefined;
  /** @defaultValue `performance.now` */
  now?: () => number;
}

/**
 * How long one call has gone without hearing from the model, across all its attempts and the
 * waits between them. Unlike an attempt's watchdog it survives retries, so a model that keeps
 * stalling ends within one budget instead of one idle timeout per attempt. The clock runs only
 * while the client has control: time a consumer spends with an event is not the model's silence.
 * Bytes (keep-alives included) prove the connection alive and refill the budget; only events
 * prove progress, so a gateway that keeps the line open for a silent model still reads as slow.
 * One timer, re-armed lazily: bytes and events only move marks (a timer that fires early re-arms).
 */
export class SilenceClock {
  readonly #options: SilenceClockOptions;
  readonly #now: () => number;
  /** Time the clock has run, up to `#runningSince`. */
  #elapsedMs = 0;
  #runningSince: number | undefined;
  #heardAtMs = 0;
  #progressAtMs = 0;
  #slowTold = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #stopped = false;

  constructor(options: SilenceClockOptions) {
    this.#options = options;
    this.#now = options.now ?? (() => performance.now());
  }

  /** The client waits on the model again (a request, the next bytes, the pause before a retry). */
  resume(): void {
    if (this.#stopped || this.#runningSince !== undefined) return;
    this.#runningSince = this.#now();
    if (this.#timer === undefined) this.#arm();
  }

  /** The consumer has an event; its time is not the model's silence. */
  pause(): void {
    if (this.#runningSince === undefined) return;
    this.#elapsedMs = this.#clockMs();
    this.#runningSince = undefined;
  }

  /** Bytes arrived from the model. */
  heard(): void {
    this.#heardAtMs = this.#clockMs();
  }

  /** An event arrived: the model is making progress, and a later silence may be reported again. */
  progressed(): void {
    this.#heardAtMs = this.#progressAtMs = this.#clockMs();
    if (!this.#slowTold) return;
    this.#slowTold = false;
    // The timer aims past the slow mark while a slow silence has been told; aim again.
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#runningSince !== undefined && !this.#stopped) this.#arm();
  }

  /** Budget left before the call ends, for waits that would only be cut off by it. */
  remainingMs(): number {
    return this.#options.budgetMs - (this.#clockMs() - this.#heardAtMs);
  }

  stop(): void {
    this.#stopped = true;
    this.pause();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
  }

  #clockMs(): number {
    return this.#runningSince === undefined ? this.#elapsedMs : this.#elapsedMs + (this.#now() - this.#runningSince);
  }

  #arm(): void {
    const clock = this.#clockMs();
    const untilExhausted = this.#options.budgetMs - (clock - this.#heardAtMs);
    const untilSlow = this.#slowTold || this.#options.onSlow === undefined ? Infinity : this.#options.slowAfterMs - (clock - this.#progressAtMs);
    this.#timer = setTimeout(this.#check, Math.max(1, Math.ceil(Math.min(untilExhausted, untilSlow))));
    // An abandoned stream must not keep the process alive.
    this.#timer.unref();
  }

  readonly #check = (): void => {
    this.#timer = undefined;
    if (this.#stopped || this.#runningSince === undefined) return;
    const clock = this.#clockMs();
    // Timers may fire a hair early relative to the clock; a millisecond is noise.
    if (clock - this.#heardAtMs + 1 >= this.#options.budgetMs) {
      this.stop();
      this.#options.onExhausted(this.#options.budgetMs);
      return;
    }
    const eventless = clock - this.#progressAtMs;
    if (!this.#slowTold && this.#options.onSlow !== undefined && eventless + 1 >= this.#options.slowAfterMs) {
      this.#slowTold = true;
      this.#options.onSlow(Math.round(eventless));
    }
    this.#arm();
  };
}
