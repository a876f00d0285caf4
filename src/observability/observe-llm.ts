import type { UpstreamBudget } from '../worker/agent-loop.ts';
import type { ChatRequest, LlmClient, LlmEvent, StreamOptions } from '../llm/types.ts';
import { currentAnswer } from './answer-context.ts';
import type { LlmHooks } from './metrics-recorder.ts';
import { upstreamActiveStreams } from './metrics.ts';
import { failSpan, startSpan } from './tracing.ts';

/**
 * The model client as the worker sees it, reporting each call (one model round) to the hooks:
 * requests and retries, the first token, usage, the failure that ended it, and a `model round`
 * span. Built over the `LlmClient` contract, so the client itself stays free of metrics.
 */
export function observeLlm(client: LlmClient, hooks: LlmHooks): LlmClient {
  return {
    streamChat: (request, options) => observeRound(client, request, options, hooks),
    listModels: (options) => client.listModels(options),
  };
}

async function* observeRound(client: LlmClient, request: ChatRequest, options: StreamOptions | undefined, hooks: LlmHooks): AsyncGenerator<LlmEvent, void, undefined> {
  const answer = currentAnswer();
  if (answer && answer.model === undefined) answer.model = request.model;
  if (answer) answer.modelRounds += 1;
  const model = request.model;
  const span = startSpan('model round', { 'ofox_bot.model': model, ...(answer ? { 'ofox_bot.round': answer.modelRounds } : {}) });
  const started = performance.now();
  let firstToken = false;
  let calledTools = false;
  let usage: Extract<LlmEvent, { type: 'usage' }> | undefined;
  hooks.onRequest({ model });
  upstreamActiveStreams.inc();
  try {
    const stream = client.streamChat(request, {
      ...options,
      onRateLimit: (info) => {
        hooks.onRateLimit(info);
        options?.onRateLimit?.(info);
      },
    });
    for await (const event of stream) {
      switch (event.type) {
        case 'text':
        case 'reasoning':
          if (!firstToken) {
            firstToken = true;
            hooks.onFirstToken({ model, ms: performance.now() - started });
          }
          if (event.type === 'text' && answer && answer.firstTextAt === undefined) answer.firstTextAt = performance.now();
          break;
        case 'tool-call':
          calledTools = true;
          break;
        case 'usage':
          usage = event;
          break;
        case 'retry':
          // What the failed attempt said is void; the next attempt is a new request.
          usage = undefined;
          calledTools = false;
          span.addEvent('retry', { attempt: event.attempt, 'delay_ms': event.delayMs });
          hooks.onRequest({ model });
          break;
      }
      yield event;
    }
    if (usage) {
      hooks.onUsage({ model, inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, ...cachedOf(usage) });
      span.setAttributes({ 'ofox_bot.tokens.input': usage.inputTokens, 'ofox_bot.tokens.output': usage.outputTokens });
    }
    if (calledTools && answer) answer.toolRounds += 1;
  } catch (error) {
    hooks.onError({ model, error });
    failSpan(span, error);
    throw error;
  } finally {
    upstreamActiveStreams.dec();
    span.end();
  }
}

/** Cached input tokens, once the client's usage event reports them apart. */
function cachedOf(usage: object): { cachedInputTokens?: number } {
  const cached = (usage as { cachedInputTokens?: unknown }).cachedInputTokens;
  return typeof cached === 'number' ? { cachedInputTokens: cached } : {};
}

/** The team's request budget, reporting how long each round waited for it. */
export function observeBudget(budget: UpstreamBudget, hooks: Pick<LlmHooks, 'onBudgetWait'>): UpstreamBudget {
  return {
    async take(signal, onQueued) {
      const waitMs = await budget.take(signal, onQueued);
      hooks.onBudgetWait(waitMs);
      return waitMs;
    },
    observe: (info) => budget.observe(info),
  };
}
