import type { ChatMessage, ChatRequest, ContentPart, ReasoningBlock } from '../types.ts';
import type { HttpRequestSpec, RequestDefaults } from './http-request.ts';

/** The Messages API requires `max_tokens`; this is what we send when nobody chose. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 4096;
export const ANTHROPIC_VERSION = '2023-06-01';
/** The API's smallest thinking budget. */
export const ANTHROPIC_MIN_THINKING_TOKENS = 1024;
/** The thinking budget we ask for when the output cap leaves room for it. */
export const ANTHROPIC_THINKING_TOKENS = 2048;

/**
 * `budget_tokens` for a request capped at `maxTokens`, or undefined when the cap leaves no room:
 * the API wants 1,024 ≤ budget < max_tokens, and at most half the cap goes to thinking so the
 * answer keeps room of its own.
 */
export function thinkingBudget(maxTokens: number): number | undefined {
  const budget = Math.min(ANTHROPIC_THINKING_TOKENS, Math.floor(maxTokens / 2));
  return budget >= ANTHROPIC_MIN_THINKING_TOKENS && budget < maxTokens ? budget : undefined;
}

type Block = Record<string, unknown>;
interface AnthropicMessage {
  role: 'user' | 'assistant';
  content: Block[];
}

/** Our request → a streaming `POST /v1/messages` body. */
export function buildAnthropicRequest(request: ChatRequest, defaults: RequestDefaults): HttpRequestSpec {
  const system = request.messages
    .filter((message) => message.role === 'system')
    .map((message) => message.content)
    .join('\n\n');
  const maxTokens = request.maxOutputTokens ?? defaults.maxOutputTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS;
  const budget = request.reasoning === true ? thinkingBudget(maxTokens) : undefined;
  const body: Record<string, unknown> = {
    model: request.model,
    max_tokens: maxTokens,
    messages: toAnthropicMessages(request.messages, budget !== undefined),
    stream: true,
  };
  if (budget !== undefined) body.thinking = { type: 'enabled', budget_tokens: budget };
  if (system !== '') body.system = system;
  if (request.tools !== undefined && request.tools.length > 0) {
    body.tools = request.tools.map((tool) => ({ name: tool.name, description: tool.description, input_schema: tool.inputSchema }));
  }
  // Thinking refuses any temperature but the default, so a chosen one is left out then.
  if (request.temperature !== undefined && budget === undefined) body.temperature = request.temperature;
  return {
    url: `${defaults.anthropicBaseUrl}/v1/messages`,
    headers: {
      'x-api-key': defaults.apiKey,
      'anthropic-version': ANTHROPIC_VERSION,
      'content-type': 'application/json',
      accept: 'text/event-stream',
    },
    body: JSON.stringify(body),
  };
}

/**
 * Tool results travel as `tool_result` blocks in a user turn, and the API wants the roles to
 * alternate, so consecutive turns of one role (several tool results, a result then a user's
 * follow-up) merge into one message.
 */
function toAnthropicMessages(messages: readonly ChatMessage[], thinking: boolean): AnthropicMessage[] {
  const result: AnthropicMessage[] = [];
  for (const message of messages) {
    if (message.role === 'system') continue;
    const role = message.role === 'assistant' ? 'assistant' : 'user';
    const content = toBlocks(message, thinking);
    if (content.length === 0) continue;
    const previous = result[result.length - 1];
    if (previous !== undefined && previous.role === role) previous.content.push(...content);
    else result.push({ role, content });
  }
  return result;
}

function toBlocks(message: Exclude<ChatMessage, { role: 'system' }>, thinking: boolean): Block[] {
  switch (message.role) {
    case 'user':
      return typeof message.content === 'string' ? textBlocks(message.content) : message.content.flatMap(partToBlocks);
    case 'assistant':
      return [
        // A thinking turn continued after tool results must open with its thinking blocks, signed as
        // they came; without thinking enabled the API refuses them, so they are left out then.
        ...(thinking ? (message.reasoning ?? []).map(reasoningBlock) : []),
        ...textBlocks(message.content),
        ...(message.toolCalls ?? []).map((call) => ({ type: 'tool_use', id: call.id, name: call.name, input: call.input ?? {} })),
      ];
    case 'tool': {
      const block: Block = { type: 'tool_result', tool_use_id: message.toolCallId, content: message.content };
      if (message.isError) block.is_error = true;
      return [block];
    }
  }
}

function reasoningBlock(block: ReasoningBlock): Block {
  return block.type === 'thinking' ? { type: 'thinking', thinking: block.thinking, signature: block.signature } : { type: 'redacted_thinking', data: block.data };
}

// The API rejects empty and whitespace-only text blocks (a model often writes "\n\n" before a tool call).
function textBlocks(text: string): Block[] {
  return text.trim() === '' ? [] : [{ type: 'text', text }];
}

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

function partToBlocks(part: ContentPart): Block[] {
  if (part.type === 'text') return textBlocks(part.text);
  const data = DATA_URL.exec(part.url);
  if (data !== null) {
    return [{ type: 'image', source: { type: 'base64', media_type: part.mediaType ?? data[1] ?? 'image/png', data: data[2] ?? '' } }];
  }
  return [{ type: 'image', source: { type: 'url', url: part.url } }];
}
