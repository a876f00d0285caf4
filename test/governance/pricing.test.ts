import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { costWithPrice, PriceBook, usdToNano } from '../../src/governance/index.ts';
import { createLlmClient } from '../../src/llm/index.ts';
import type { LlmClient, LlmEvent } from '../../src/llm/types.ts';
import { raw, startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';

let fake: FakeOfox;
let llm: LlmClient;

beforeAll(async () => {
  fake = await startFakeOfox();
  llm = createLlmClient({ apiKey: fake.apiKey, openaiBaseUrl: fake.openaiBaseUrl, anthropicBaseUrl: fake.anthropicBaseUrl, retryBaseMs: 1, retryMaxMs: 5 });
});

afterAll(async () => {
  await fake.close();
});

async function usageOf(model: string): Promise<Extract<LlmEvent, { type: 'usage' }>> {
  let usage: Extract<LlmEvent, { type: 'usage' }> | undefined;
  for await (const event of llm.streamChat({ model, messages: [{ role: 'user', content: 'hi' }] })) if (event.type === 'usage') usage = event;
  if (!usage) throw new Error('no usage event');
  return usage;
}

const sse = (...frames: unknown[]) => frames.map((frame) => `data: ${JSON.stringify(frame)}\n\n`).join('');

describe('prices from the model list', () => {
  it('reads prompt, completion and cache prices from GET /v1/models', async () => {
    const book = new PriceBook({ listModels: () => llm.listModels() });
    // Dollars per token × 1e9 = nano-dollars per token.
    expect(await book.priceOf('openai/gpt-4o')).toEqual({ input: 2500, output: 10_000, cacheRead: 1250, cacheWrite: 2500 });
    expect(await book.priceOf('anthropic/claude-sonnet-4.5')).toEqual({ input: 3000, output: 15_000, cacheRead: 300, cacheWrite: 3750 });
    expect(await book.priceOf('vendor/unknown')).toBeUndefined();
  });

  it('cached prompt tokens reported on the OpenAI wire are priced at the cache rate', async () => {
    fake.enqueue([
      raw(
        sse(
          { id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: 'Hi' }, finish_reason: null }] },
          { id: 'c1', object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] },
          { id: 'c1', object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 10_000, completion_tokens: 500, prompt_tokens_details: { cached_tokens: 8_000 } } },
        ) + 'data: [DONE]\n\n',
      ),
    ]);
    const usage = await usageOf('openai/gpt-4o');
    expect(usage).toEqual({ type: 'usage', inputTokens: 10_000, outputTokens: 500, cachedInputTokens: 8_000 });
    const book = new PriceBook({ listModels: () => llm.listModels() });
    const cost = await book.costOf('openai/gpt-4o', { inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, cachedInputTokens: usage.cachedInputTokens ?? 0, cacheWriteTokens: 0 });
    // 2,000 uncached × $2.50/M + 8,000 cached × $1.25/M + 500 out × $10/M = $0.005 + $0.01 + $0.005.
    expect(cost).toBe(usdToNano(0.02));
    // Priced as if nothing were cached it would have cost more.
    expect(costWithPrice({ input: 2500, output: 10_000, cacheRead: 2500, cacheWrite: 2500 }, { inputTokens: 10_000, outputTokens: 500, cachedInputTokens: 0, cacheWriteTokens: 0 })).toBe(usdToNano(0.03));
  });

  it('cache reads and writes reported on the Anthropic wire are each priced at their own rate', async () => {
    fake.enqueue([
      raw(
        [
          'event: message_start\ndata: ' +
            JSON.stringify({ type: 'message_start', message: { id: 'm1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 1_000, cache_read_input_tokens: 20_000, cache_creation_input_tokens: 4_000, output_tokens: 1 } } }),
          'event: content_block_start\ndata: ' + JSON.stringify({ type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } }),
          'event: content_block_delta\ndata: ' + JSON.stringify({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text: 'Hi' } }),
          'event: content_block_stop\ndata: ' + JSON.stringify({ type: 'content_block_stop', index: 0 }),
          'event: message_delta\ndata: ' + JSON.stringify({ type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 1_000 } }),
          'event: message_stop\ndata: ' + JSON.stringify({ type: 'message_stop' }),
        ].join('\n\n') + '\n\n',
      ),
    ]);
    const usage = await usageOf('anthropic/claude-sonnet-4.5');
    expect(usage).toEqual({ type: 'usage', inputTokens: 25_000, outputTokens: 1_000, cachedInputTokens: 20_000, cacheWriteTokens: 4_000 });
    const book = new PriceBook({ listModels: () => llm.listModels() });
    const cost = await book.costOf('anthropic/claude-sonnet-4.5', { inputTokens: 25_000, outputTokens: 1_000, cachedInputTokens: 20_000, cacheWriteTokens: 4_000 });
    // 1,000 × $3/M + 20,000 × $0.30/M + 4,000 × $3.75/M + 1,000 × $15/M = $0.003 + $0.006 + $0.015 + $0.015.
    expect(cost).toBe(usdToNano(0.039));
  });

  it('keeps the last prices when a refresh fails, and fetches again after the refresh interval', async () => {
    let now = 0;
    let calls = 0;
    let failing = false;
    const book = new PriceBook({
      refreshMs: 1_000,
      now: () => now,
      listModels: async () => {
        calls += 1;
        if (failing) throw new Error('gateway down');
        return [{ id: 'a/b', pricing: { inputPerMillion: 1, outputPerMillion: 2 } }];
      },
    });
    expect(await book.priceOf('a/b')).toEqual({ input: 1000, output: 2000, cacheRead: 1000, cacheWrite: 1000 });
    now = 500;
    await book.priceOf('a/b');
    expect(calls).toBe(1);
    failing = true;
    now = 1_500;
    expect(await book.priceOf('a/b')).toEqual({ input: 1000, output: 2000, cacheRead: 1000, cacheWrite: 1000 });
    expect(calls).toBe(2);
  });
});
