import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { startFakeOfox } from '../fakes/ofox/index.ts';
import { clientFor } from './support/collect.ts';

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

describe('listing models', () => {
  it('maps ids, context lengths and per-token prices to per-million prices', async () => {
    fake.setModels([
      { id: 'openai/gpt-4o', context_length: 128_000, pricing: { prompt: '0.0000025', completion: '0.00001' } },
      { id: 'vendor/per-million', context_length: 32_000, pricing: { input: 0.5, output: 1.5 } },
      { id: 'vendor/bare' },
    ]);
    expect(await clientFor(fake).listModels()).toEqual([
      { id: 'openai/gpt-4o', contextLength: 128_000, pricing: { inputPerMillion: 2.5, outputPerMillion: 10 } },
      { id: 'vendor/per-million', contextLength: 32_000, pricing: { inputPerMillion: 0.5, outputPerMillion: 1.5 } },
      { id: 'vendor/bare' },
    ]);
    expect(fake.allRequests[0]).toMatchObject({ method: 'GET', path: '/v1/models', protocol: 'models', authorized: true });
  });

  it('reads per-image and per-request prices and whether a model outputs images', async () => {
    fake.setModels([
      { id: 'openai/gpt-image-2', pricing: { image: '0.04' }, architecture: { input_modalities: ['text'], output_modalities: ['image'] } },
      { id: 'vendor/flux', pricing: { request: 0.003 }, output_modalities: ['IMAGE', 'text'] },
      { id: 'openai/gpt-4o', pricing: { prompt: '0.0000025', completion: '0.00001' }, architecture: { output_modalities: ['text'] } },
    ]);
    expect(await clientFor(fake).listModels()).toEqual([
      { id: 'openai/gpt-image-2', pricing: { perImage: 0.04 }, outputsImages: true },
      { id: 'vendor/flux', pricing: { perRequest: 0.003 }, outputsImages: true },
      { id: 'openai/gpt-4o', pricing: { inputPerMillion: 2.5, outputPerMillion: 10 }, outputsImages: false },
    ]);
  });

  it('fails with an auth error for a wrong key', async () => {
    await expect(clientFor(fake, { apiKey: 'wrong' }).listModels()).rejects.toMatchObject({ name: 'LlmError', kind: 'auth' });
  });
});
