import type { Job } from 'bullmq';
import type { Logger } from './logger.ts';
import { newAnswerFigures, runInAnswer, type AnswerFigures } from './answer-context.ts';
import { answerSummary, type AnswerOutcome } from './answer-summary.ts';
import { boundedLabel, type AnswerHooks } from './metrics-recorder.ts';
import type { AnswerGovernance } from '../worker/processor.ts';
import type { ImageSpending } from '../tools/builtins/image.ts';
import { activeAnswers, answerDurationSeconds, answerErrorsTotal, answersTotal, answerToolRounds, platformWritesPerAnswer, queueWaitSeconds } from './metrics.ts';
import { withSpan } from './tracing.ts';

/** What the observer needs from the processor's result (`ChatAnswerResult`). */
export interface ObservedResult {
  outcome: 'complete' | 'stopped' | 'error';
}

export type ObservedProcessor<R extends ObservedResult> = (job: Job, token?: string, signal?: AbortSignal) => Promise<R>;

/**
 * Runs each job of the chat queue as one observed answer: the hooks fired while it runs count
 * towards it (see `answer-context.ts`), an `answer` span wraps it, and at its end come the
 * answer-level series (outcome, duration, tool rounds, writes) and one summary log line.
 */
export function observeProcessor<R extends ObservedResult>(processor: ObservedProcessor<R>, options: { log: Logger }): ObservedProcessor<R> {
  return (job, token, signal) => {
    const data = (job.data ?? {}) as { platform?: unknown; channelId?: unknown };
    const figures = newAnswerFigures({
      jobId: job.id ?? 'unknown',
      platform: boundedLabel('platform', typeof data.platform === 'string' ? data.platform : undefined),
      channelId: typeof data.channelId === 'string' ? data.channelId : 'unknown',
      attempt: job.attemptsMade + 1,
    });
    // Later attempts wait for their backoff, not for a worker: only the first says how busy the queue is.
    if (job.attemptsMade === 0 && job.timestamp > 0) queueWaitSeconds.observe(Math.max(0, (job.processedOn ?? Date.now()) - job.timestamp) / 1000);
    activeAnswers.inc();
    return runInAnswer(figures, () =>
      withSpan('answer', { 'ofox_bot.job_id': figures.jobId, 'ofox_bot.platform': figures.platform, 'ofox_bot.attempt': figures.attempt }, async (span) => {
        try {
          const result = await processor(job, token, signal);
          const outcome: AnswerOutcome = result.outcome === 'error' && figures.refused ? 'refused' : result.outcome;
          finished(figures, outcome, options.log);
          if (figures.model) span.setAttribute('ofox_bot.model', figures.model);
          span.setAttribute('ofox_bot.outcome', outcome);
          return result;
        } catch (error) {
          // Handed back to the queue: a retry, a shutdown or a lost lock; another attempt ends it.
          finished(figures, 'handed-back', options.log);
          throw error;
        } finally {
          activeAnswers.dec();
        }
      }),
    );
  };
}

function finished(figures: AnswerFigures, outcome: AnswerOutcome, log: Logger): void {
  const summary = answerSummary(figures, outcome);
  const platform = figures.platform;
  answersTotal.inc({ platform, outcome });
  if (summary.errorKind) answerErrorsTotal.inc({ platform, kind: summary.errorKind });
  answerDurationSeconds.observe({ platform, outcome }, summary.durationMs / 1000);
  if (outcome !== 'handed-back') {
    answerToolRounds.observe({ platform }, figures.toolRounds);
    platformWritesPerAnswer.observe({ platform }, figures.writes);
  }
  log.info({ answer: summary }, 'answer summary');
}

/**
 * Answer governance whose charges are reported as spend by model: each priced answer adds its
 * dollars to `ofox_bot_upstream_spend_dollars_total`. The meter's contract is unchanged.
 */
export function observeSpend(governance: AnswerGovernance, hooks: Pick<AnswerHooks, 'onPriced'>): AnswerGovernance {
  return {
    jobEnded: (job, jobId) => governance.jobEnded(job, jobId),
    start(answer) {
      const meter = governance.start(answer);
      return {
        beforeRound: (check) => meter.beforeRound(check),
        abandon: () => meter.abandon(),
        async finish(result) {
          const charged = await meter.finish(result);
          hooks.onPriced({ model: answer.model, dollars: charged.costNanoUsd / 1e9 });
          return charged;
        },
      };
    },
  };
}

/** The image tool's charges, counted in the spend series (and the answer's figures) like answers' tokens. */
export function observeImageSpend(spending: ImageSpending, hooks: Pick<AnswerHooks, 'onPriced'>): ImageSpending {
  return {
    async reserve(request) {
      const reserved = await spending.reserve(request);
      if (!reserved.ok) return reserved;
      const { hold } = reserved;
      return {
        ok: true,
        hold: {
          release: () => hold.release(),
          async settle(count) {
            const charged = await hold.settle(count);
            hooks.onPriced({ model: request.model, dollars: charged / 1e9 });
            return charged;
          },
        },
      };
    },
  };
}
