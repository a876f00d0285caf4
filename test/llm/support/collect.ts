import { createLlmClient } from '../../../src/llm/index.ts';
import type { LlmClient, LlmClientOptions, LlmEvent } from '../../../src/llm/index.ts';
import type { FakeOfox } from '../../fakes/ofox/index.ts';

export interface Collected {
  events: LlmEvent[];
  error: unknown;
}

/** Drains a stream, keeping what arrived before a failure as well as the failure itself. */
export async function collect(stream: AsyncIterable<LlmEvent>): Promise<Collected> {
  const events: LlmEvent[] = [];
  try {
    for await (const event of stream) events.push(event);
    return { events, error: undefined };
  } catch (error) {
    return { events, error };
  }
}

/** What a consumer that honours `retry` (replace, never append) ends up showing. */
export function finalRound(events: readonly LlmEvent[]): LlmEvent[] {
  const lastRetry = events.map((event) => event.type).lastIndexOf('retry');
  return events.slice(lastRetry + 1);
}

export function textOf(events: readonly LlmEvent[]): string {
  return events.map((event) => (event.type === 'text' ? event.delta : '')).join('');
}

export function reasoningOf(events: readonly LlmEvent[]): string {
  return events.map((event) => (event.type === 'reasoning' ? event.delta : '')).join('');
}

export function recordingSleep(): { sleep: NonNullable<LlmClientOptions['sleep']>; delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    sleep: async (ms) => {
      delays.push(ms);
    },
  };
}

/** A client pointed at the fake, with quick retries and no real waiting unless a test asks. */
export function clientFor(fake: FakeOfox, overrides: Partial<LlmClientOptions> = {}): LlmClient {
  return createLlmClient({
    apiKey: fake.apiKey,
    openaiBaseUrl: fake.openaiBaseUrl,
    anthropicBaseUrl: fake.anthropicBaseUrl,
    retryBaseMs: 1,
    retryMaxMs: 5,
    random: () => 0.5,
    ...overrides,
  });
}

export const MODELS = { openai: 'openai/gpt-4o', anthropic: 'anthropic/claude-sonnet-4.5' } as const;
export const PROTOCOLS = ['openai', 'anthropic'] as const;

export function ask(text = 'hi') {
  return [{ role: 'user' as const, content: text }];
}

/** Bytes as a stream, sliced exactly as given. */
export async function* streamOf(chunks: readonly Uint8Array[]): AsyncGenerator<Uint8Array> {
  for (const chunk of chunks) yield chunk;
}

export function sliceAt(bytes: Uint8Array, cuts: readonly number[]): Uint8Array[] {
  const points = [...new Set(cuts)].filter((cut) => cut > 0 && cut < bytes.length).sort((a, b) => a - b);
  const pieces: Uint8Array[] = [];
  let start = 0;
  for (const cut of points) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces;
}
