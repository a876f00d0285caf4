import { createParser } from 'eventsource-parser';
import type { EventSourceParser } from 'eventsource-parser';

export interface SseMessage {
  /** The `event:` field; Anthropic names every event, OpenAI-style gateways usually none. */
  event: string | undefined;
  data: string;
}

const LF = 10;
const CR = 13;

/**
 * The one SSE parser of the client, for both protocols: bytes in any slicing (even inside a
 * multi-byte character) become whole messages. Comments and keep-alives vanish here.
 */
export class SseDecoder {
  readonly #text = new TextDecoder('utf-8');
  readonly #parser: EventSourceParser;
  #messages: SseMessage[] = [];
  #endedWithNewline = true;

  constructor() {
    this.#parser = createParser({
      onEvent: (message) => {
        this.#messages.push({ event: message.event, data: message.data });
      },
    });
  }

  /** Feeds one slice of the body; returns the messages it completed. */
  feed(bytes: Uint8Array): SseMessage[] {
    if (bytes.length === 0) return [];
    const last = bytes[bytes.length - 1];
    this.#endedWithNewline = last === LF || last === CR;
    this.#parser.feed(this.#text.decode(bytes, { stream: true }));
    return this.#take();
  }

  /**
   * The body ended. Some gateways omit the blank line after the last event (`data: [DONE]\n`):
   * when the last line itself arrived whole, it is dispatched; a line cut off mid-way is dropped.
   */
  end(): SseMessage[] {
    const rest = this.#text.decode();
    if (rest !== '') this.#parser.feed(rest);
    if (this.#endedWithNewline && rest === '') this.#parser.feed('\n');
    return this.#take();
  }

  #take(): SseMessage[] {
    if (this.#messages.length === 0) return [];
    const messages = this.#messages;
    this.#messages = [];
    return messages;
  }
}
