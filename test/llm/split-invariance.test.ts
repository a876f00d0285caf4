import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { LlmEvent } from '../../src/llm/index.ts';
import { collect, sliceAt, streamOf } from './support/collect.ts';
import { anthropicParser, openAiParser } from './support/decoders.ts';
import { ANTHROPIC_RICH, ANTHROPIC_RICH_EVENTS, OPENAI_RICH, OPENAI_RICH_EVENTS, anthropicSse, delta, openAiSse } from './support/wire-samples.ts';

const encoder = new TextEncoder();
const parsers = { openai: openAiParser, anthropic: anthropicParser };
const samples = [
  { protocol: 'openai', sse: OPENAI_RICH, expected: OPENAI_RICH_EVENTS },
  { protocol: 'anthropic', sse: ANTHROPIC_RICH, expected: ANTHROPIC_RICH_EVENTS },
] as const;

async function eventsOf(protocol: 'openai' | 'anthropic', pieces: Uint8Array[]): Promise<LlmEvent[]> {
  const { events, error } = await collect(parsers[protocol].decodeBytes(streamOf(pieces)));
  if (error !== undefined) throw error;
  return events;
}

describe('parsing does not depend on how the bytes are sliced', () => {
  for (const { protocol, sse, expected } of samples) {
    const bytes = encoder.encode(sse);

    it(`${protocol}: every single split point, including inside multi-byte characters, gives the same events`, async () => {
      for (let cut = 1; cut < bytes.length; cut++) {
        expect(await eventsOf(protocol, sliceAt(bytes, [cut]))).toEqual(expected);
      }
    });

    it(`${protocol}: any set of split points gives the same events`, async () => {
      await fc.assert(
        fc.asyncProperty(fc.array(fc.integer({ min: 1, max: bytes.length - 1 }), { maxLength: 40 }), async (cuts) => {
          expect(await eventsOf(protocol, sliceAt(bytes, cuts))).toEqual(expected);
        }),
        { numRuns: 300 },
      );
    });
  }

  const anyText = fc.array(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }), { minLength: 1, maxLength: 8 });
  const wireFor = {
    openai: (texts: string[]) => openAiSse([...texts.map((text) => delta({ content: text })), delta({}, 'stop')]),
    anthropic: (texts: string[]) =>
      anthropicSse([
        { type: 'message_start', message: { usage: { input_tokens: 1 } } },
        { type: 'content_block_start', index: 0, content_block: { type: 'text', text: '' } },
        ...texts.map((text) => ({ type: 'content_block_delta', index: 0, delta: { type: 'text_delta', text } })),
        { type: 'content_block_stop', index: 0 },
        { type: 'message_delta', delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 2 } },
        { type: 'message_stop' },
      ]),
  };

  for (const protocol of ['openai', 'anthropic'] as const) {
    it(`${protocol}: arbitrary Unicode text survives arbitrary slicing delta for delta`, async () => {
      await fc.assert(
        fc.asyncProperty(anyText, fc.array(fc.nat(), { maxLength: 30 }), async (texts, rawCuts) => {
          const bytes = encoder.encode(wireFor[protocol](texts));
          const cuts = rawCuts.map((cut) => 1 + (cut % Math.max(1, bytes.length - 1)));
          const events = await eventsOf(protocol, sliceAt(bytes, cuts));
          expect(events.filter((event) => event.type === 'text')).toEqual(texts.map((text) => ({ type: 'text', delta: text })));
          expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
        }),
        { numRuns: 200 },
      );
    });
  }
});
