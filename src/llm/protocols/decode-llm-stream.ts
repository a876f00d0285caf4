import { SseDecoder } from '../transport/sse-decoder.ts';
import type { SseMessage } from '../transport/sse-decoder.ts';
import type { LlmEvent } from '../types.ts';
import type { ProtocolStreamDecoder } from './stream-decoder.ts';

/**
 * Bytes of one response → normalized events, for either protocol. Pure: no sockets, clocks or
 * retries, so any slicing of the same bytes must give the same events (property-tested).
 * Events are passed on as soon as the message that carries them is whole.
 */
export async function* decodeLlmStream(bytes: AsyncIterable<Uint8Array>, decoder: ProtocolStreamDecoder): AsyncGenerator<LlmEvent, void, undefined> {
  const sse = new SseDecoder();
  const out: LlmEvent[] = [];
  for await (const chunk of bytes) {
    for (const message of sse.feed(chunk)) {
      const complete = decoder.message(message, out);
      if (out.length > 0) {
        yield* out;
        out.length = 0;
      }
      if (complete) return;
    }
  }
  for (const message of sse.end()) {
    const complete = decoder.message(message, out);
    if (out.length > 0) {
      yield* out;
      out.length = 0;
    }
    if (complete) return;
  }
  decoder.endWithoutMarker();
}

/** Whole messages (an answer that came as one JSON body, replayed) → events, with the same end rule. */
export function* decodeMessages(messages: readonly SseMessage[], decoder: ProtocolStreamDecoder): Generator<LlmEvent, void, undefined> {
  const out: LlmEvent[] = [];
  for (const message of messages) {
    const complete = decoder.message(message, out);
    yield* out;
    out.length = 0;
    if (complete) return;
  }
  decoder.endWithoutMarker();
}
