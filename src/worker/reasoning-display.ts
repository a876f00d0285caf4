import { systemClock, type Clock } from '../render/clock.ts';
import { reasoningStatusLine, reasoningSummaryLine } from '../render/status-text.ts';
import type { ReasoningMode } from '../settings/index.ts';

/** Where the line goes (the answer's `ProgressiveMessage.setReasoning`). */
export interface ReasoningLineSink {
  setReasoning(line: string | undefined): void;
}

/** What the agent loop tells about the model's reasoning as it streams. */
export interface ReasoningObserver {
  /** More reasoning of the current round. */
  delta(text: string): void;
  /** The round's answer (text or a tool call) started: the line goes. */
  answering(): void;
  /** The round's stream was retried: what it reasoned is void. */
  retried(): void;
  /** The next model round starts. */
  nextRound(): void;
}

export interface ReasoningDisplayOptions {
  mode: ReasoningMode;
  sink: ReasoningLineSink;
  /** @defaultValue systemClock */
  clock?: Clock;
  /**
   * How often `status` refreshes its elapsed time. Every write is paced and platforms allow a few a
   * second per channel, so seconds, not tokens. @defaultValue 5_000
   */
  tickMs?: number;
}

export const REASONING_TICK_MS = 5_000;

/**
 * Turns a channel's reasoning mode and the model's reasoning deltas into the answer's reasoning
 * line, and keeps the whole reasoning for `full`:
 * - `status` and `full`: "💭 thinking…" with the seconds since the reasoning began, refreshed every `tickMs`;
 * - `summary`: the latest line of the reasoning, replaced as it streams (the renderer sends only the newest);
 * - `off`: nothing.
 * The line goes when the answer starts, and again if a later round reasons.
 */
export class ReasoningDisplay implements ReasoningObserver {
  private readonly mode: ReasoningMode;
  private readonly sink: ReasoningLineSink;
  private readonly clock: Clock;
  private readonly tickMs: number;
  /** Each round's reasoning, kept whole for `full`. */
  private readonly rounds: string[] = [''];
  private startedAt: number | undefined;
  private timer: unknown;
  private showing = false;
  private closed = false;

  constructor(options: ReasoningDisplayOptions) {
    this.mode = options.mode;
    this.sink = options.sink;
    this.clock = options.clock ?? systemClock;
    this.tickMs = Math.max(1_000, options.tickMs ?? REASONING_TICK_MS);
  }

  delta(text: string): void {
    if (this.closed || this.mode === 'off' || text === '') return;
    const round = this.rounds.length - 1;
    this.rounds[round] = (this.rounds[round] ?? '') + text;
    if (this.mode === 'summary') {
      this.show(reasoningSummaryLine(this.rounds[round] ?? ''));
      return;
    }
    if (this.startedAt !== undefined) return;
    this.startedAt = this.clock.now();
    this.show(reasoningStatusLine(0));
    this.schedule();
  }

  answering(): void {
    this.hide();
  }

  retried(): void {
    this.rounds[this.rounds.length - 1] = '';
    this.hide();
  }

  nextRound(): void {
    this.hide();
    if ((this.rounds.at(-1) ?? '') !== '') this.rounds.push('');
  }

  /** Stops the timer and clears the line; nothing shows after. */
  close(): void {
    this.hide();
    this.closed = true;
  }

  /** The whole reasoning of every round, or '' when there was none (or the mode keeps none). */
  transcript(): string {
    const rounds = this.rounds.map((text) => text.trim()).filter((text) => text !== '');
    if (rounds.length <= 1) return rounds[0] ?? '';
    return rounds.map((text, index) => `## Round ${index + 1}\n\n${text}`).join('\n\n');
  }

  private show(line: string): void {
    if (this.closed || line === '') return;
    this.showing = true;
    this.sink.setReasoning(line);
  }

  private hide(): void {
    this.stopTimer();
    this.startedAt = undefined;
    if (!this.showing) return;
    this.showing = false;
    this.sink.setReasoning(undefined);
  }

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      if (this.startedAt === undefined || this.closed) return;
      this.show(reasoningStatusLine(this.clock.now() - this.startedAt));
      this.schedule();
    }, this.tickMs);
  }

  private stopTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
