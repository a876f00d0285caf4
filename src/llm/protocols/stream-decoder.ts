import type { SseMessage } from '../transport/sse-decoder.ts';
import type { LlmEvent } from '../types.ts';

/**
 * One protocol's view of the stream: SSE messages in, normalized events out. `message` handles
 * each chunk and says when the protocol's end marker arrived (the answer is complete, finish
 * reason or not); `endWithoutMarker` is the bytes running out before it (always a cut-off).
 */
export interface ProtocolStreamDecoder {
  /** Appends this message's events to `out`; returns true when the protocol's end marker arrived. */
  message(message: SseMessage, out: LlmEvent[]): boolean;
  /** The bytes ended before the end marker: throws the fitting error. */
  endWithoutMarker(): never;
}
