export * from './surface.ts';
export type { Clock } from './clock.ts';
export { systemClock } from './clock.ts';
export type { RenderLog } from './render-log.ts';
export {
  ADAPT,
  CLASS_HANDICAP_MS,
  RESERVED_FOR_PRIORITY,
  budgetsFromLimits,
  windowMarginMs,
  pacedWindowMs,
  type PermitRequest,
  type WriteBudget,
  type WriteClass,
  type WritePacer,
} from './write-budget.ts';
export { LocalWritePacer, type LocalWritePacerOptions } from './local-write-pacer.ts';
export { RedisWritePacer, type RedisWritePacerOptions } from './redis-write-pacer.ts';
export { shareTransportPacer, transportPacer } from './transport-pacer.ts';
// The worker's composition (src/worker, src/runtime) still uses these names for the same things.
export type { WritePacer as ChannelPacer } from './write-budget.ts';
export { RedisWritePacer as RedisChannelPacer } from './redis-write-pacer.ts';
export { splitForLimit, splitSegments, MIN_SPLIT_CHARS, type SplitOptions, type SplitSegment } from './split-for-limit.ts';
export { closeOpenFence, fenceStateAt, hasBalancedFences, type OpenFence } from './code-fence.ts';
export { toolStatusLine, footerLine, type AnswerOutcome, type FooterParts } from './status-text.ts';
export { RenderWriteError } from './render-write-error.ts';
export { NO_ANSWER_TEXT, SUPERSEDED_TEXT, WORKING_TEXT, answerTail, layoutAnswer, firstPendingWrite, type WantedMessage } from './answer-layout.ts';
export { ProgressiveMessage, type FinishOptions, type ProgressiveMessageOptions } from './progressive-message.ts';
export { pacedWrite, writeIfRoom, PacedWriteError, PACED_WRITE_MAX_WAIT_MS, PACED_WRITE_RATE_LIMIT_RETRIES, type PacedWriteRequest } from './paced-write.ts';
