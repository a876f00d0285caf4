import type { SseMessage } from '../transport/sse-decoder.ts';
import type { LlmEvent } from '../types.ts';

/**
 * One protocol's view of the stream: SSE messages in, normalized events out. The three moments
 * of a stream are `message` (per chunk), `isComplete` (its end marker arrived) and `end` (the
 * bytes ran out, which is an error unless it was complete).
 */
export interface ProtocolStreamDecoder {
  /** Appends this message's events to `out`; returns true when the protocol's end marker arrived. */
  message(message: SseMessage, out: LlmEvent[]): boolean;
  /** The bytes ended before the end marker: throws the fitting error. */
  endWithoutMarker(): never;
}
