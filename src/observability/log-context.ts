import { trace } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { currentAnswer } from './answer-context.ts';

/**
 * A pino `mixin`: every line written while an answer runs carries the answer's identity (jobId,
 * platform, channelId, model, attempt) and, while tracing is on, its traceId and spanId, whichever
 * logger wrote it. Keys the logger already binds (the processor's child logger binds jobId,
 * platform and channelId) are left out, so no key appears twice in a line.
 */
export function answerLogContext(_mergeObject: object, _level: number, logger?: Logger): Record<string, unknown> {
  const answer = currentAnswer();
  const trace = activeTraceIds();
  if (!answer && !trace) return {};
  const fields: Record<string, unknown> = {
    ...(answer
      ? {
          jobId: answer.jobId,
          platform: answer.platform,
          channelId: answer.channelId,
          ...(answer.model === undefined ? {} : { model: answer.model }),
          attempt: answer.attempt,
        }
      : {}),
    ...trace,
  };
  const bound = logger?.bindings() ?? {};
  for (const key of Object.keys(bound)) delete fields[key];
  return fields;
}

/** The active span's ids (undefined while tracing is off or outside a span). */
export function activeTraceIds(): { traceId: string; spanId: string } | undefined {
  const spanContext = trace.getActiveSpan()?.spanContext();
  // With tracing off the API's spans carry the all-zero id: nothing to correlate with.
  if (!spanContext || !trace.isSpanContextValid(spanContext)) return undefined;
  return { traceId: spanContext.traceId, spanId: spanContext.spanId };
}
