import type { Scenario, Step } from './scenario.ts';
import { headersOf, stepsOf } from './scenario.ts';
import type { Action, RenderContext, RenderedResponse } from './wire.ts';
import {
  SSE_HEADERS,
  argumentsText,
  endsStream,
  errorBody,
  estimateTokens,
  generatedId,
  pacingWait,
  renderHttpError,
  splitInto,
  splitText,
} from './wire.ts';

const WIRE_FINISH: Record<string, string> = {
  stop: 'stop',
  length: 'length',
  'tool-calls': 'tool_calls',
  'content-filter': 'content_filter',
  error: 'error',
};

/** A scenario as Chat Completions SSE, the way OpenAI-compatible gateways stream it. */
export function renderOpenAi(scenario: Scenario, context: RenderContext, baseHeaders: Record<string, string>): RenderedResponse {
  const steps = stepsOf(scenario);
  const headers = { ...baseHeaders, ...headersOf(scenario) };
  const first = steps.find((step) => step.type !== 'wait');
  if (first?.type === 'http-error') return withLeadingWaits(steps, renderHttpError('openai', first, headers));

  const id = generatedId('chatcmpl-fake');
  const created = Math.floor(Date.now() / 1000);
  const frame = (choices: unknown[], extra: Record<string, unknown> = {}): string =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model: context.model, choices, ...extra })}\n\n`;
  const delta = (value: Record<string, unknown>, finishReason: string | null = null): string =>
    frame([{ index: 0, delta: value, finish_reason: finishReason }]);

  const actions: Action[] = [];
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    actions.push({ kind: 'write', data: delta({ role: 'assistant', content: '' }) });
  };
  let finishReason: string | null | undefined;
  let usage: { inputTokens: number; outputTokens: number } | undefined;
  let outputChars = 0;
  let sawToolCalls = false;
  let nextToolIndex = 0;
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
        const field = step.type === 'text' ? 'content' : 'reasoning_content';
        const pause = pacingWait(step);
        for (const piece of splitText(step.text, step)) {
          if (pause > 0) actions.push({ kind: 'wait', ms: pause });
          actions.push({ kind: 'write', data: delta({ [field]: piece }) });
          outputChars += piece.length;
        }
        break;
      }
      case 'tool-calls': {
        sawToolCalls = true;
        const startIndex = step.startIndex ?? nextToolIndex;
        nextToolIndex = startIndex + step.calls.length;
        const pieces = step.calls.map((call) => splitInto(argumentsText(call.arguments), step.argumentChunks ?? 3));
        step.calls.forEach((call, position) => {
          actions.push({
            kind: 'write',
            data: delta({
              tool_calls: [{ index: startIndex + position, id: call.id ?? generatedId('call_'), type: 'function', function: { name: call.name, arguments: '' } }],
            }),
          });
        });
        const fragments: Array<{ index: number; text: string }> = [];
        if (step.interleave ?? true) {
          const longest = Math.max(...pieces.map((list) => list.length));
          for (let round = 0; round < longest; round++) {
            pieces.forEach((list, position) => {
              const text = list[round];
              if (text !== undefined) fragments.push({ index: startIndex + position, text });
            });
          }
        } else {
          pieces.forEach((list, position) => list.forEach((text) => fragments.push({ index: startIndex + position, text })));
        }
        for (const fragment of fragments) {
          outputChars += fragment.text.length;
          actions.push({ kind: 'write', data: delta({ tool_calls: [{ index: fragment.index, function: { arguments: fragment.text } }] }) });
        }
        break;
      }
      case 'usage':
        usage = { inputTokens: step.inputTokens, outputTokens: step.outputTokens };
        break;
      case 'finish':
        finishReason = step.reason === null ? null : (WIRE_FINISH[step.reason] ?? step.reason);
        break;
      case 'keep-alive':
        for (let count = 0; count < (step.count ?? 1); count++) actions.push({ kind: 'write', data: ': keep-alive\n\n' });
        break;
      case 'wait':
        actions.push({ kind: 'wait', ms: step.ms });
        break;
      case 'flush-headers':
        actions.push({ kind: 'flush-headers' });
        break;
      case 'malformed':
        actions.push({ kind: 'write', data: `data: ${step.data ?? '{"id":"x","choices":[{"index":0,"delta":{"content":"unterminated'}\n\n` });
        break;
      case 'stream-error':
        actions.push({
          kind: 'write',
          data: `data: ${JSON.stringify(errorBody('openai', { message: step.message ?? 'Upstream provider error', type: step.errorType ?? 'server_error', code: step.code }))}\n\n`,
        });
        break;
      case 'disconnect':
        actions.push({ kind: 'destroy' });
        break;
      case 'end-early':
      case 'http-error':
        // A late http-error cannot change a status already sent; it ends the stream like end-early.
        break;
    }
    if (endsStream(step) || step.type === 'http-error') {
      ended = true;
      break;
    }
  }

  if (!ended) {
    start();
    const reason = finishReason === undefined ? (sawToolCalls ? 'tool_calls' : 'stop') : finishReason;
    if (reason !== null) actions.push({ kind: 'write', data: delta({}, reason) });
    const counts = usage ?? { inputTokens: estimateTokens(context.promptChars), outputTokens: estimateTokens(outputChars) };
    actions.push({
      kind: 'write',
      data: frame([], { usage: { prompt_tokens: counts.inputTokens, completion_tokens: counts.outputTokens, total_tokens: counts.inputTokens + counts.outputTokens } }),
    });
    actions.push({ kind: 'write', data: 'data: [DONE]\n\n' });
  }
  return { status: 200, headers: { ...SSE_HEADERS, ...headers }, actions };
}

export function pushRaw(actions: Action[], step: Extract<Step, { type: 'raw' }>): void {
  const bytes = typeof step.data === 'string' ? new TextEncoder().encode(step.data) : step.data;
  const size = step.chunkSize ?? 64 * 1024;
  for (let offset = 0; offset < bytes.length; offset += size) {
    if (offset > 0 && step.delayMs) actions.push({ kind: 'wait', ms: step.delayMs });
    actions.push({ kind: 'write', data: bytes.subarray(offset, offset + size) });
  }
}

export function withLeadingWaits(steps: readonly Step[], response: RenderedResponse): RenderedResponse {
  const waits: Action[] = [];
  for (const step of steps) {
    if (step.type !== 'wait') break;
    waits.push({ kind: 'wait', ms: step.ms });
  }
  return { ...response, actions: [...waits, ...response.actions] };
}
