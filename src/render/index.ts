export * from './surface.ts';
export type { Clock } from './clock.ts';
export { systemClock } from './clock.ts';
export type { RenderLog } from './render-log.ts';
export type { ChannelBudget, ChannelPacer } from './channel-pacer.ts';
export { LocalChannelPacer, type LocalChannelPacerOptions } from './local-channel-pacer.ts';
export { RedisChannelPacer, type RedisChannelPacerOptions } from './redis-channel-pacer.ts';
export { splitForLimit, splitSegments, MIN_SPLIT_CHARS, type SplitOptions, type SplitSegment } from './split-for-limit.ts';
export { closeOpenFence, fenceStateAt, hasBalancedFences, type OpenFence } from './code-fence.ts';
export { toolStatusLine, footerLine, type AnswerOutcome, type FooterParts } from './status-text.ts';
export { RenderWriteError } from './render-write-error.ts';
export {
  ProgressiveMessage,
  NO_ANSWER_TEXT,
  SUPERSEDED_TEXT,
  WORKING_TEXT,
  type FinishOptions,
  type ProgressiveMessageOptions,
} from './progressive-message.ts';
