import type { AnswerFigures } from './answer-context.ts';

/** How an answer ended, as the metrics and the summary line name it. */
export type AnswerOutcome = 'complete' | 'stopped' | 'error' | 'refused' | 'handed-back';

/**
 * The one line per answer an operator filters on: what it took and what it cost. The answer's
 * identity (jobId, platform, channelId, model, attempt) is not repeated here: the log context
 * puts it on every line of the answer, this one included, and a key must not appear twice.
 */
export interface AnswerSummary {
  outcome: AnswerOutcome;
  errorKind?: string;
  durationMs: number;
  timeToFirstTokenMs?: number;
  timeToFirstTextMs?: number;
  modelRounds: number;
  toolRounds: number;
  toolCalls: number;
  inputTokens: number;
  cachedInputTokens: number;
  outputTokens: number;
  spendDollars?: number;
  writes: number;
  platform429s: number;
  upstream429s: number;
  upstreamRetries: number;
}

export function answerSummary(figures: AnswerFigures, outcome: AnswerOutcome, now = performance.now()): AnswerSummary {
  const round = (ms: number | undefined) => (ms === undefined ? undefined : Math.round(ms));
  return {
    outcome,
    ...(outcome === 'error' || outcome === 'refused' ? { errorKind: outcome === 'refused' ? 'refused' : (figures.errorKind ?? 'other') } : {}),
    durationMs: Math.round(now - figures.startedAt),
    ...(figures.firstTokenMs === undefined ? {} : { timeToFirstTokenMs: round(figures.firstTokenMs) }),
    ...(figures.firstVisibleMs === undefined ? {} : { timeToFirstTextMs: round(figures.firstVisibleMs) }),
    modelRounds: figures.modelRounds,
    toolRounds: figures.toolRounds,
    toolCalls: figures.toolCalls,
    inputTokens: figures.inputTokens,
    cachedInputTokens: figures.cachedInputTokens,
    outputTokens: figures.outputTokens,
    ...(figures.spendDollars === undefined ? {} : { spendDollars: figures.spendDollars }),
    writes: figures.writes,
    platform429s: figures.platformRateLimits,
    upstream429s: figures.upstreamRateLimits,
    upstreamRetries: figures.upstreamRetries,
  };
}
