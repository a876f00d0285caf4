import type { SseMessage } from '../transport/sse-decoder.ts';
import type { WireProtocol } from './protocol.ts';
import { asRecord } from './parse-chunk.ts';

/**
 * Some gateways ignore `stream: true` and answer with one complete JSON body. That answer is whole
 * and paid for, so retrying it would pay again: it is replayed as the stream it stands for (the
 * same messages, then the end marker) through the protocol's own decoder. Returns undefined for a
 * body that is not a complete answer of this protocol.
 */
export function jsonAnswerAsMessages(protocol: WireProtocol, body: unknown): SseMessage[] | undefined {
  const answer = asRecord(body);
  if (answer === undefined) return undefined;
  return protocol === 'anthropic' ? anthropicMessages(answer) : openAiMessages(answer);
}

// A `chat.completion` reads like one big chunk: the decoder takes `choices[].message` as a delta
// and keys tool calls without an `index` by their id.
function openAiMessages(answer: Record<string, unknown>): SseMessage[] | undefined {
  if (!Array.isArray(answer.choices)) return undefined;
  return [
    { event: undefined, data: JSON.stringify(answer) },
    { event: undefined, data: '[DONE]' },
  ];
}

function anthropicMessages(answer: Record<string, unknown>): SseMessage[] | undefined {
  if (answer.type !== 'message' || !Array.isArray(answer.content)) return undefined;
  const event = (type: string, data: Record<string, unknown>): SseMessage => ({ event: type, data: JSON.stringify({ type, ...data }) });
  const usage = asRecord(answer.usage) ?? {};
  const messages: SseMessage[] = [event('message_start', { message: { usage } })];
  answer.content.forEach((block: unknown, index: number) => {
    messages.push(event('content_block_start', { index, content_block: block }), event('content_block_stop', { index }));
  });
  messages.push(event('message_delta', { delta: { stop_reason: answer.stop_reason ?? null }, usage }), event('message_stop', {}));
  return messages;
}
