import { classifyUpstreamError, extractUpstreamError } from '../classify-upstream-error.ts';
import { LlmError } from '../errors.ts';
import { ToolCallTracker } from '../tool-call-tracker.ts';
import type { SseMessage } from '../transport/sse-decoder.ts';
import type { FinishReason, LlmEvent } from '../types.ts';
import { asNumber, asRecord, parseChunk } from './parse-chunk.ts';
import type { ProtocolStreamDecoder } from './stream-decoder.ts';

const FINISH_REASONS: Record<string, FinishReason> = {
  stop: 'stop',
  end_turn: 'stop',
  stop_sequence: 'stop',
  eos: 'stop',
  length: 'length',
  max_tokens: 'length',
  tool_calls: 'tool-calls',
  function_call: 'tool-calls',
  tool_use: 'tool-calls',
  content_filter: 'content-filter',
  refusal: 'content-filter',
  safety: 'content-filter',
};

/**
 * Chat Completions chunks → events. Text and reasoning pass straight through; tool calls, usage
 * and the finish reason are held until `[DONE]`, so a stream cut off before it has shown none of
 * them (a retried round rarely has tool calls to take back). `[DONE]` alone decides that the
 * answer is complete: gateways that route to many providers do not all send a finish reason, and
 * calling such an answer cut off would pay for it again.
 */
export class OpenAiStreamDecoder implements ProtocolStreamDecoder {
  readonly #secrets: readonly string[];
  readonly #tools = new ToolCallTracker();
  #finish: FinishReason | undefined;
  #usage: { inputTokens: number; outputTokens: number; cachedInputTokens?: number } | undefined;

  constructor(options: { secrets?: readonly string[] } = {}) {
    this.#secrets = options.secrets ?? [];
  }

  message(message: SseMessage, out: LlmEvent[]): boolean {
    const data = message.data.trim();
    if (data === '') return false;
    if (data === '[DONE]') {
      this.#complete(out);
      return true;
    }
    const chunk = parseChunk(data, this.#secrets);
    if ((chunk.error !== undefined && chunk.error !== null) || message.event === 'error') {
      throw classifyUpstreamError({ details: extractUpstreamError(chunk), secrets: this.#secrets });
    }
    this.#readUsage(chunk.usage);
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    for (const item of choices) {
      const choice = asRecord(item);
      // We never ask for n > 1; another choice would be a gateway quirk, not part of this answer.
      if (choice === undefined || (choice.index !== undefined && choice.index !== 0)) continue;
      const delta = asRecord(choice.delta) ?? asRecord(choice.message);
      if (delta !== undefined) this.#readDelta(delta, out);
      if (typeof choice.finish_reason === 'string' && choice.finish_reason !== '') {
        this.#finish = FINISH_REASONS[choice.finish_reason] ?? 'error';
      }
    }
    return false;
  }

  endWithoutMarker(): never {
    throw new LlmError('The OfoxAI stream ended before [DONE]; the answer is incomplete', { kind: 'stream-cut-off' });
  }

  #readDelta(delta: Record<string, unknown>, out: LlmEvent[]): void {
    const reasoning = typeof delta.reasoning_content === 'string' ? delta.reasoning_content : delta.reasoning;
    if (typeof reasoning === 'string' && reasoning !== '') out.push({ type: 'reasoning', delta: reasoning });
    if (typeof delta.content === 'string' && delta.content !== '') out.push({ type: 'text', delta: delta.content });
    if (Array.isArray(delta.tool_calls)) {
      delta.tool_calls.forEach((item: unknown, position: number) => {
        const call = asRecord(item);
        if (call === undefined) return;
        const fn = asRecord(call.function);
        // Some gateways omit `index`; the call's id, or else its position, still tells calls apart.
        const key = asNumber(call.index) ?? this.#keyById(call.id) ?? position;
        this.#tools.update(key, {
          id: typeof call.id === 'string' ? call.id : undefined,
          name: typeof fn?.name === 'string' ? fn.name : undefined,
          arguments: typeof fn?.arguments === 'string' ? fn.arguments : undefined,
        });
      });
    }
    const legacy = asRecord(delta.function_call);
    if (legacy !== undefined) {
      this.#tools.update('function_call', {
        name: typeof legacy.name === 'string' ? legacy.name : undefined,
        arguments: typeof legacy.arguments === 'string' ? legacy.arguments : undefined,
      });
    }
  }

  readonly #idKeys = new Map<string, string>();
  #keyById(id: unknown): string | undefined {
    if (typeof id !== 'string' || id === '') return undefined;
    let key = this.#idKeys.get(id);
    if (key === undefined) {
      key = `id:${id}`;
      this.#idKeys.set(id, key);
    }
    return key;
  }

  #readUsage(value: unknown): void {
    const usage = asRecord(value);
    if (usage === undefined) return;
    const inputTokens = asNumber(usage.prompt_tokens) ?? asNumber(usage.input_tokens);
    const outputTokens = asNumber(usage.completion_tokens) ?? asNumber(usage.output_tokens);
    if (inputTokens === undefined && outputTokens === undefined) return;
    // prompt_tokens includes the cached part, reported apart in prompt_tokens_details.
    const cached = asNumber(asRecord(usage.prompt_tokens_details)?.cached_tokens) ?? asNumber(asRecord(usage.input_tokens_details)?.cached_tokens);
    this.#usage = {
      inputTokens: inputTokens ?? this.#usage?.inputTokens ?? 0,
      outputTokens: outputTokens ?? this.#usage?.outputTokens ?? 0,
      ...(cached !== undefined && cached > 0 ? { cachedInputTokens: cached } : {}),
    };
  }

  #complete(out: LlmEvent[]): void {
    const calls = this.#tools.completeAll();
    out.push(...calls);
    if (this.#usage !== undefined) out.push({ type: 'usage', ...this.#usage });
    // No finish reason before `[DONE]` is a plain stop. Some providers report `stop` after tool
    // calls; the calls are what the agent loop must act on.
    const finish = this.#finish ?? 'stop';
    const reason = finish === 'stop' && calls.length > 0 ? 'tool-calls' : finish;
    out.push({ type: 'finish', reason });
  }
}
