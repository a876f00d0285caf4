import { classifyUpstreamError, extractUpstreamError } from '../classify-upstream-error.ts';
import { LlmError } from '../errors.ts';
import { ToolCallTracker } from '../tool-call-tracker.ts';
import type { SseMessage } from '../transport/sse-decoder.ts';
import type { FinishReason, LlmEvent } from '../types.ts';
import { asNumber, asRecord, parseChunk } from './parse-chunk.ts';
import type { ProtocolStreamDecoder } from './stream-decoder.ts';

const STOP_REASONS: Record<string, FinishReason> = {
  end_turn: 'stop',
  stop_sequence: 'stop',
  pause_turn: 'stop',
  max_tokens: 'length',
  model_context_window_exceeded: 'length',
  tool_use: 'tool-calls',
  refusal: 'content-filter',
};

/**
 * Messages API events → events. A tool call is emitted at its `content_block_stop`; usage and the
 * finish reason at `message_stop`, the stream's end marker, which alone decides that the answer is
 * complete (a gateway that leaves out `stop_reason` still ended the message).
 */
export class AnthropicStreamDecoder implements ProtocolStreamDecoder {
  readonly #secrets: readonly string[];
  readonly #tools = new ToolCallTracker();
  /** Input some gateways put whole into `content_block_start` instead of streaming it. */
  readonly #startInputs = new Map<number, string>();
  /** Thinking blocks being streamed, by index, kept whole so a tool round can send them back. */
  readonly #thinking = new Map<number, { thinking: string; signature: string }>();
  #finish: FinishReason | undefined;
  #emittedToolCall = false;
  #inputTokens: number | undefined;
  #outputTokens: number | undefined;
  #cacheRead = 0;
  #cacheWrite = 0;

  constructor(options: { secrets?: readonly string[] } = {}) {
    this.#secrets = options.secrets ?? [];
  }

  message(message: SseMessage, out: LlmEvent[]): boolean {
    const data = message.data.trim();
    if (data === '') {
      // A gateway that names the end marker but sends no data still ended the message.
      if (message.event !== 'message_stop') return false;
      this.#complete(out);
      return true;
    }
    const chunk = parseChunk(data, this.#secrets);
    const type = typeof chunk.type === 'string' ? chunk.type : message.event;
    switch (type) {
      case 'message_start':
        this.#readUsage(asRecord(asRecord(chunk.message)?.usage));
        return false;
      case 'content_block_start':
        this.#startBlock(asNumber(chunk.index) ?? 0, asRecord(chunk.content_block), out);
        return false;
      case 'content_block_delta':
        this.#delta(asNumber(chunk.index) ?? 0, asRecord(chunk.delta), out);
        return false;
      case 'content_block_stop':
        this.#stopBlock(asNumber(chunk.index) ?? 0, out);
        return false;
      case 'message_delta': {
        const stopReason = asRecord(chunk.delta)?.stop_reason;
        if (typeof stopReason === 'string') this.#finish = STOP_REASONS[stopReason] ?? 'error';
        this.#readUsage(asRecord(chunk.usage));
        return false;
      }
      case 'message_stop':
        this.#complete(out);
        return true;
      case 'error':
        throw classifyUpstreamError({ details: extractUpstreamError(chunk), secrets: this.#secrets });
      default:
        // `ping` and event types newer than this code carry nothing we show.
        return false;
    }
  }

  endWithoutMarker(): never {
    throw new LlmError('The OfoxAI stream ended before message_stop; the answer is incomplete', { kind: 'stream-cut-off' });
  }

  #startBlock(index: number, block: Record<string, unknown> | undefined, out: LlmEvent[]): void {
    if (block === undefined) return;
    if (block.type === 'tool_use') {
      this.#tools.update(index, {
        id: typeof block.id === 'string' ? block.id : undefined,
        name: typeof block.name === 'string' ? block.name : undefined,
      });
      const input = asRecord(block.input);
      if (input !== undefined && Object.keys(input).length > 0) this.#startInputs.set(index, JSON.stringify(input));
    } else if (block.type === 'text' && typeof block.text === 'string' && block.text !== '') {
      out.push({ type: 'text', delta: block.text });
    } else if (block.type === 'thinking') {
      const thinking = typeof block.thinking === 'string' ? block.thinking : '';
      this.#thinking.set(index, { thinking, signature: typeof block.signature === 'string' ? block.signature : '' });
      if (thinking !== '') out.push({ type: 'reasoning', delta: thinking });
    } else if (block.type === 'redacted_thinking' && typeof block.data === 'string') {
      // Encrypted thinking: nothing to show, but it must go back with the turn like any other.
      out.push({ type: 'reasoning-block', block: { type: 'redacted', data: block.data } });
    }
  }

  #delta(index: number, delta: Record<string, unknown> | undefined, out: LlmEvent[]): void {
    if (delta === undefined) return;
    switch (delta.type) {
      case 'text_delta':
        if (typeof delta.text === 'string' && delta.text !== '') out.push({ type: 'text', delta: delta.text });
        return;
      case 'thinking_delta':
        if (typeof delta.thinking === 'string' && delta.thinking !== '') {
          const block = this.#thinking.get(index);
          if (block) block.thinking += delta.thinking;
          out.push({ type: 'reasoning', delta: delta.thinking });
        }
        return;
      case 'signature_delta': {
        const block = this.#thinking.get(index);
        if (block && typeof delta.signature === 'string') block.signature += delta.signature;
        return;
      }
      case 'input_json_delta':
        if (typeof delta.partial_json === 'string' && delta.partial_json !== '') {
          this.#startInputs.delete(index);
          this.#tools.update(index, { arguments: delta.partial_json });
        }
        return;
      default:
        // Citations carry nothing the chat shows.
        return;
    }
  }

  #stopBlock(index: number, out: LlmEvent[]): void {
    const thinking = this.#thinking.get(index);
    if (thinking) {
      this.#thinking.delete(index);
      // Unsigned thinking cannot be sent back (the API checks the signature), so it is not kept.
      if (thinking.signature !== '') out.push({ type: 'reasoning-block', block: { type: 'thinking', ...thinking } });
      return;
    }
    if (!this.#tools.has(index)) return;
    const startInput = this.#startInputs.get(index);
    if (startInput !== undefined) {
      this.#startInputs.delete(index);
      this.#tools.update(index, { arguments: startInput });
    }
    const call = this.#tools.complete(index);
    if (call !== undefined) {
      this.#emittedToolCall = true;
      out.push(call);
    }
  }

  #readUsage(usage: Record<string, unknown> | undefined): void {
    if (usage === undefined) return;
    const input = asNumber(usage.input_tokens);
    if (input !== undefined) {
      // Cached prompt tokens are reported apart from input_tokens; the prompt was all of them.
      this.#cacheWrite = asNumber(usage.cache_creation_input_tokens) ?? this.#cacheWrite;
      this.#cacheRead = asNumber(usage.cache_read_input_tokens) ?? this.#cacheRead;
      this.#inputTokens = input + this.#cacheWrite + this.#cacheRead;
    }
    const output = asNumber(usage.output_tokens);
    if (output !== undefined) this.#outputTokens = output;
  }

  #complete(out: LlmEvent[]): void {
    for (const index of [...this.#startInputs.keys()]) this.#stopBlock(index, out);
    const calls = this.#tools.completeAll();
    if (calls.length > 0) this.#emittedToolCall = true;
    out.push(...calls);
    if (this.#inputTokens !== undefined || this.#outputTokens !== undefined) {
      out.push({
        type: 'usage',
        inputTokens: this.#inputTokens ?? 0,
        outputTokens: this.#outputTokens ?? 0,
        ...(this.#cacheRead > 0 ? { cachedInputTokens: this.#cacheRead } : {}),
        ...(this.#cacheWrite > 0 ? { cacheWriteTokens: this.#cacheWrite } : {}),
      });
    }
    // No stop reason before `message_stop`: the message still ended; what it asked for decides.
    out.push({ type: 'finish', reason: this.#finish ?? (this.#emittedToolCall ? 'tool-calls' : 'stop') });
  }
}
