import { LlmError } from './llm-error.ts';

export type TimeoutPhase = 'connect' | 'first-byte' | 'idle' | 'deadline';

/**
 * One of the client's clocks ran out. The overall deadline is final; the others describe one
 * attempt, so another attempt may do better.
 */
export class LlmTimeoutError extends LlmError {
  override name = 'LlmTimeoutError';
  readonly phase: TimeoutPhase;
  readonly timeoutMs: number;
  constructor(phase: TimeoutPhase, timeoutMs: number, options: { cause?: unknown } = {}) {
    super(`OfoxAI ${describePhase(phase)} after ${timeoutMs} ms`, { ...options, retryable: phase !== 'deadline' });
    this.phase = phase;
    this.timeoutMs = timeoutMs;
  }
}

function describePhase(phase: TimeoutPhase): string {
  switch (phase) {
    case 'connect':
      return 'connection was not established';
    case 'first-byte':
      return 'sent no first byte';
    case 'idle':
      return 'stream went silent';
    case 'deadline':
      return 'request exceeded its overall deadline';
  }
}
