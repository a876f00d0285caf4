import type { ChatMessage, ChatRequest, ContentPart } from '../types.ts';
import type { HttpRequestSpec, RequestDefaults } from './http-request.ts';

type OpenAiContent = string | Array<{ type: 'text'; text: string } | { type: 'image_url'; image_url: { url: string } }>;

/** How hard a reasoning model thinks when a channel shows reasoning: the providers' own default. */
export const OPENAI_REASONING_EFFORT = 'medium';

/** Our request → a streaming `POST /chat/completions` body. */
export function buildOpenAiRequest(request: ChatRequest, defaults: RequestDefaults): HttpRequestSpec {
  const body: Record<string, unknown> = {
    model: request.model,
    messages: request.messages.map(toOpenAiMessage),
    stream: true,
    stream_options: { include_usage: true },
  };
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({
      type: 'function',
      function: { name: tool.name, description: tool.description, parameters: tool.inputSchema },
    }));
  }
  const maxTokens = request.maxOutputTokens ?? defaults.maxOutputTokens;
  if (maxTokens !== undefined) body.max_tokens = maxTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  // OpenRouter's unified `reasoning` object, which OpenAI-compatible gateways pass on to every
  // provider: unlike OpenAI's own `reasoning_effort` (which only tunes hidden reasoning), it also
  // asks for the reasoning to be streamed back as `delta.reasoning`, which is what we show.
  if (request.reasoning === true) body.reasoning = { effort: OPENAI_REASONING_EFFORT };
  const fallback = request.fallbackModels ?? defaults.fallbackModels;
  if (fallback !== undefined && fallback.length > 0) body.provider = { fallback: [...fallback] };
  return {
    url: `${defaults.openaiBaseUrl}/chat/completions`,
    headers: {
      authorization: `Bearer ${defaults.apiKey}`,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    body: JSON.stringify(body),
  };
}

function toOpenAiMessage(message: ChatMessage): Record<string, unknown> {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user': {
      const result: Record<string, unknown> = { role: 'user', content: toOpenAiContent(message.content) };
      if (message.name !== undefined) result.name = message.name;
      return result;
    }
    case 'assistant': {
      if (message.toolCalls === undefined || message.toolCalls.length === 0) return { role: 'assistant', content: message.content };
      return {
        role: 'assistant',
        content: message.content === '' ? null : message.content,
        tool_calls: message.toolCalls.map((call) => ({
          id: call.id,
          type: 'function',
          function: { name: call.name, arguments: JSON.stringify(call.input ?? {}) },
        })),
      };
    }
    case 'tool':
      return { role: 'tool', tool_call_id: message.toolCallId, content: message.content };
  }
}

function toOpenAiContent(content: string | ContentPart[]): OpenAiContent {
  if (typeof content === 'string') return content;
  return content.map((part) =>
    part.type === 'text' ? { type: 'text', text: part.text } : { type: 'image_url', image_url: { url: part.url } },
  );
}
