import { describe, expect, it } from 'vitest';
import { buildAnthropicRequest } from '../../src/llm/protocols/anthropic-request.ts';

const defaults = { apiKey: 'k', openaiBaseUrl: 'http://x/v1', anthropicBaseUrl: 'http://x/anthropic', fallbackModels: undefined, maxOutputTokens: 1024 };

describe('Anthropic requests', () => {
  it('drops whitespace-only text before a tool call, which the API refuses as a text block', () => {
    const spec = buildAnthropicRequest(
      {
        model: 'anthropic/claude-sonnet-4.5',
        messages: [
          { role: 'user', content: 'what time is it?' },
          { role: 'assistant', content: '\n\n', toolCalls: [{ id: 'toolu_1', name: 'current_time', input: {} }] },
          { role: 'tool', toolCallId: 'toolu_1', toolName: 'current_time', content: '12:00' },
          { role: 'user', content: '(answer now)' },
        ],
      },
      defaults,
    );
    const body = JSON.parse(spec.body) as { messages: Array<{ role: string; content: Array<{ type: string; text?: string }> }> };
    expect(body.messages[1]?.content).toEqual([{ type: 'tool_use', id: 'toolu_1', name: 'current_time', input: {} }]);
    // The tool result and the follow-up merge into one user turn: roles must alternate.
    expect(body.messages.map((message) => message.role)).toEqual(['user', 'assistant', 'user']);
    expect(body.messages[2]?.content.map((block) => block.type)).toEqual(['tool_result', 'text']);
  });
});
