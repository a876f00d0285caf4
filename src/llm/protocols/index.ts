export { ANTHROPIC_DEFAULT_MAX_TOKENS, ANTHROPIC_VERSION, buildAnthropicRequest } from './anthropic-request.ts';
export { AnthropicStreamDecoder } from './anthropic-stream-decoder.ts';
export { decodeLlmStream } from './decode-llm-stream.ts';
export type { HttpRequestSpec, RequestDefaults } from './http-request.ts';
export { buildOpenAiRequest } from './openai-request.ts';
export { OpenAiStreamDecoder } from './openai-stream-decoder.ts';
export { buildRequest, createStreamDecoder, selectProtocol } from './protocol.ts';
export type { ProtocolChoice, WireProtocol } from './protocol.ts';
export type { ProtocolStreamDecoder } from './stream-decoder.ts';
