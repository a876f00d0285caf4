import { pushRaw, withLeadingWaits } from './render-openai.ts';
import type { Scenario } from './scenario.ts';
import { headersOf, stepsOf } from './scenario.ts';
import type { Action, RenderContext, RenderedResponse } from './wire.ts';
import { SSE_HEADERS, argumentsText, endsStream, errorBody, estimateTokens, generatedId, pacingWait, renderHttpError, splitInto, splitText } from './wire.ts';

const WIRE_STOP: Record<string, string> = {
  stop: 'end_turn',
  length: 'max_tokens',
  'tool-calls': 'tool_use',
  'content-filter': 'refusal',
  error: 'error',
};

/** A scenario as Messages API SSE: named events, content blocks, message_start … message_stop. */
export function renderAnthropic(scenario: Scenario, context: RenderContext, baseHeaders: Record<string, string>): RenderedResponse {
  const steps = stepsOf(scenario);
  const headers = { ...baseHeaders, ...headersOf(scenario) };
  const first = steps.find((step) => step.type !== 'wait');
  if (first?.type === 'http-error') return withLeadingWaits(steps, renderHttpError('anthropic', first, headers));

  const event = (name: string, data: Record<string, unknown>): string => `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data })}\n\n`;
  const usageStep = steps.find((step) => step.type === 'usage');
  const inputTokens = usageStep?.type === 'usage' ? usageStep.inputTokens : estimateTokens(context.promptChars);

  const actions: Action[] = [];
  const write = (data: string): void => {
    actions.push({ kind: 'write', data });
  };
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    write(
      event('message_start', {
        message: {
          id: generatedId('msg_fake'),
          type: 'message',
          role: 'assistant',
          model: context.model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: inputTokens, output_tokens: 1 },
        },
      }),
    );
    write(event('ping', {}));
  };
  let blockIndex = -1;
  let openBlock: 'text' | 'thinking' | undefined;
  const closeBlock = (): void => {
    if (openBlock === 'thinking') write(event('content_block_delta', { index: blockIndex, delta: { type: 'signature_delta', signature: 'ZmFrZS1zaWduYXR1cmU=' } }));
    if (openBlock !== undefined) write(event('content_block_stop', { index: blockIndex }));
    openBlock = undefined;
  };
  const openTextLike = (kind: 'text' | 'thinking'): void => {
    if (openBlock === kind) return;
    closeBlock();
    blockIndex += 1;
    openBlock = kind;
    write(event('content_block_start', { index: blockIndex, content_block: kind === 'text' ? { type: 'text', text: '' } : { type: 'thinking', thinking: '' } }));
  };

  let stopReason: string | null | undefined;
  let outputTokens: number | undefined = usageStep?.type === 'usage' ? usageStep.outputTokens : undefined;
  let outputChars = 0;
  let sawToolCalls = false;
  let ended = false;

  for (const step of steps) {
    if (step.type === 'raw') {
      pushRaw(actions, step);
      return { status: 200, headers: { ...SSE_HEADERS, ...headers }, actions };
    }
    if (step.type !== 'wait' && step.type !== 'flush-headers' && step.type !== 'disconnect') start();
    switch (step.type) {
      case 'text':
      case 'reasoning': {
        openTextLike(step.type === 'text' ? 'text' : 'thinking');
        const pause = pacingWait(step);
        for (const piece of splitText(step.text, step)) {
          if (pause > 0) actions.push({ kind: 'wait', ms: pause });
          const delta = step.type === 'text' ? { type: 'text_delta', text: piece } : { type: 'thinking_delta', thinking: piece };
          write(event('content_block_delta', { index: blockIndex, delta }));
          outputChars += piece.length;
        }
        break;
      }
      case 'tool-calls':
        sawToolCalls = true;
        closeBlock();
        for (const call of step.calls) {
          blockIndex += 1;
          write(event('content_block_start', { index: blockIndex, content_block: { type: 'tool_use', id: call.id ?? generatedId('toolu_'), name: call.name, input: {} } }));
          const json = argumentsText(call.arguments);
          outputChars += json.length;
          if (json !== '') {
            for (const piece of splitInto(json, step.argumentChunks ?? 3)) {
              write(event('content_block_delta', { index: blockIndex, delta: { type: 'input_json_delta', partial_json: piece } }));
            }
          }
          write(event('content_block_stop', { index: blockIndex }));
        }
        break;
      case 'usage':
        outputTokens = step.outputTokens;
        break;
      case 'finish':
        stopReason = step.reason === null ? null : (WIRE_STOP[step.reason] ?? step.reason);
        break;
      case 'keep-alive':
        for (let count = 0; count < (step.count ?? 1); count++) write(event('ping', {}));
        break;
      case 'wait':
        actions.push({ kind: 'wait', ms: step.ms });
        break;
      case 'flush-headers':
        actions.push({ kind: 'flush-headers' });
        break;
      case 'malformed':
        write(`event: content_block_delta\ndata: ${step.data ?? '{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"unterminated'}\n\n`);
        break;
      case 'stream-error':
        write(
          `event: error\ndata: ${JSON.stringify(errorBody('anthropic', { message: step.message ?? 'Overloaded', type: step.errorType ?? 'overloaded_error' }))}\n\n`,
        );
        break;
      case 'disconnect':
        actions.push({ kind: 'destroy' });
        break;
      case 'end-early':
      case 'http-error':
        break;
    }
    if (endsStream(step) || step.type === 'http-error') {
      ended = true;
      break;
    }
  }

  if (!ended) {
    start();
    closeBlock();
    const reason = stopReason === undefined ? (sawToolCalls ? 'tool_use' : 'end_turn') : stopReason;
    write(
      event('message_delta', {
        delta: { stop_reason: reason, stop_sequence: null },
        usage: { output_tokens: outputTokens ?? estimateTokens(outputChars) },
      }),
    );
    write(event('message_stop', {}));
  }
  return { status: 200, headers: { ...SSE_HEADERS, ...headers }, actions };
}
