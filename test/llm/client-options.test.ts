import { Agent, errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.ts';
import type { LlmError } from '../../src/llm/index.ts';
import { createLlmClient, llmClientOptionsFromConfig } from '../../src/llm/index.ts';
import { ask, collect } from './support/collect.ts';

describe('client options', () => {
  it('come from the OFOX_* configuration', () => {
    const config = configSchema.parse({
      OFOX_API_KEY: 'sk-config',
      OFOX_PROTOCOL: 'anthropic',
      OFOX_FALLBACK_MODELS: 'a/one, b/two',
      OFOX_IDLE_TIMEOUT_MS: '1234',
    });
    expect(llmClientOptionsFromConfig(config)).toEqual({
      apiKey: 'sk-config',
      openaiBaseUrl: 'https://api.ofox.ai/v1',
      anthropicBaseUrl: 'https://api.ofox.ai/anthropic',
      protocol: 'anthropic',
      connectTimeoutMs: 10_000,
      firstByteTimeoutMs: 60_000,
      idleTimeoutMs: 1234,
      deadlineMs: 600_000,
      maxAttempts: 4,
      retryBaseMs: 500,
      retryMaxMs: 20_000,
      fallbackModels: ['a/one', 'b/two'],
      maxOutputTokens: 4096,
    });
  });
});

describe('connection failures', () => {
  it('a connection that cannot be established in time is a retryable connect timeout', async () => {
    // The dispatcher's connector reports what undici's own connect timeout would.
    const dispatcher = new Agent({ connect: (_options, callback) => callback(new errors.ConnectTimeoutError(), null) });
    const client = createLlmClient({ apiKey: 'k', openaiBaseUrl: 'http://127.0.0.1:9/v1', anthropicBaseUrl: 'http://127.0.0.1:9/anthropic', dispatcher, maxAttempts: 1, connectTimeoutMs: 250 });
    const { error } = await collect(client.streamChat({ model: 'openai/gpt-4o', messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'timeout' });
    expect(error).toMatchObject({ phase: 'connect', timeoutMs: 250, retryable: true });
  });

  it('a refused connection is a retryable network error', async () => {
    const client = createLlmClient({ apiKey: 'k', openaiBaseUrl: 'http://127.0.0.1:9/v1', anthropicBaseUrl: 'http://127.0.0.1:9/anthropic', maxAttempts: 2, retryBaseMs: 1 });
    const { events, error } = await collect(client.streamChat({ model: 'openai/gpt-4o', messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'network' });
    expect((error as LlmError).retryable).toBe(true);
    expect(events.map((event) => event.type)).toEqual(['retry']);
  });
});
