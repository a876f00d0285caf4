import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * What one answer did, gathered while it runs. The worker's processor runs inside
 * {@link runInAnswer}; every hook that fires meanwhile (model client, surface, pacer, tools) finds
 * the answer with {@link currentAnswer}, so labels like the platform and the per-answer figures
 * need no extra parameters threaded through the hot paths. Node's AsyncLocalStorage follows the
 * answer through awaits, microtasks and timers.
 */
export interface AnswerFigures {
  jobId: string;
  platform: string;
  channelId: string;
  /** Set by the model client's observer when the first request names it. */
  model: string | undefined;
  /** 1 for the first try of the job. */
  attempt: number;
  /** `performance.now()` when the worker started the answer. */
  startedAt: number;
  /** Milliseconds from the first model request to its first token. */
  firstTokenMs: number | undefined;
  /** When the model's first text arrived (`performance.now()`); a write started after it shows text. */
  firstTextAt: number | undefined;
  /** Milliseconds from the start of the answer to the first write that showed text. */
  firstVisibleMs: number | undefined;
  modelRounds: number;
  /** Rounds that ended in tool calls. */
  toolRounds: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  toolCalls: number;
  writes: number;
  platformRateLimits: number;
  upstreamRetries: number;
  upstreamRateLimits: number;
  /** The platform refused a write for good. */
  refused: boolean;
  /** Kind of the last model error the answer saw (see `upstreamErrorKind`). */
  errorKind: string | undefined;
  /** Set once the answer is priced. */
  spendDollars: number | undefined;
}

const storage = new AsyncLocalStorage<AnswerFigures>();

export function newAnswerFigures(fields: Pick<AnswerFigures, 'jobId' | 'platform' | 'channelId' | 'attempt'> & { model?: string }): AnswerFigures {
  return {
    model: undefined,
    startedAt: performance.now(),
    firstTokenMs: undefined,
    firstTextAt: undefined,
    firstVisibleMs: undefined,
    modelRounds: 0,
    toolRounds: 0,
    inputTokens: 0,
    cachedInputTokens: 0,
    outputTokens: 0,
    toolCalls: 0,
    writes: 0,
    platformRateLimits: 0,
    upstreamRetries: 0,
    upstreamRateLimits: 0,
    refused: false,
    errorKind: undefined,
    spendDollars: undefined,
    ...fields,
  };
}

/** Runs `fn` as the given answer: hooks fired from inside it count towards it. */
export function runInAnswer<T>(figures: AnswerFigures, fn: () => T): T {
  return storage.run(figures, fn);
}

/** The answer the current code runs for, if any. */
export function currentAnswer(): AnswerFigures | undefined {
  return storage.getStore();
}
