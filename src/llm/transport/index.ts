export { HttpAttempt } from './http-attempt.ts';
export type { AttemptRequest, AttemptTimeouts } from './http-attempt.ts';
export { SseDecoder } from './sse-decoder.ts';
export type { SseMessage } from './sse-decoder.ts';
export { StallWatchdog } from './stall-watchdog.ts';
