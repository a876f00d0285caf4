import type { ChatRequest } from '../types.ts';
import { buildAnthropicRequest } from './anthropic-request.ts';
import { AnthropicStreamDecoder } from './anthropic-stream-decoder.ts';
import type { HttpRequestSpec, RequestDefaults } from './http-request.ts';
import { buildOpenAiRequest } from './openai-request.ts';
import { OpenAiStreamDecoder } from './openai-stream-decoder.ts';
import type { ProtocolStreamDecoder } from './stream-decoder.ts';

export type WireProtocol = 'openai' | 'anthropic';
export type ProtocolChoice = WireProtocol | 'auto';

/** `auto` speaks Anthropic Messages to `anthropic/*` models, where the gateway passes thinking and tool blocks through untouched. */
export function selectProtocol(model: string, choice: ProtocolChoice): WireProtocol {
  if (choice !== 'auto') return choice;
  return model.startsWith('anthropic/') ? 'anthropic' : 'openai';
}

export function buildRequest(protocol: WireProtocol, request: ChatRequest, defaults: RequestDefaults): HttpRequestSpec {
  return protocol === 'anthropic' ? buildAnthropicRequest(request, defaults) : buildOpenAiRequest(request, defaults);
}

export function createStreamDecoder(protocol: WireProtocol, secrets: readonly string[] = []): ProtocolStreamDecoder {
  return protocol === 'anthropic' ? new AnthropicStreamDecoder({ secrets }) : new OpenAiStreamDecoder({ secrets });
}
