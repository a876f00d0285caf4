import { createStreamDecoder, decodeLlmStream } from '../../../src/llm/index.ts';
import type { LlmEvent, WireProtocol } from '../../../src/llm/index.ts';
import { streamOf } from './collect.ts';

export { LlmError } from '../../../src/llm/index.ts';

function decoderFor(protocol: WireProtocol) {
  return {
    decode: (sse: string, secrets: string[] = []): AsyncIterable<LlmEvent> =>
      decodeLlmStream(streamOf([new TextEncoder().encode(sse)]), createStreamDecoder(protocol, secrets)),
    decodeBytes: (bytes: AsyncIterable<Uint8Array>, secrets: string[] = []): AsyncIterable<LlmEvent> => decodeLlmStream(bytes, createStreamDecoder(protocol, secrets)),
  };
}

export const openAiParser = decoderFor('openai');
export const anthropicParser = decoderFor('anthropic');
