/** Hand-written wire streams for the parsing tests, one per protocol. */

export function openAiSse(chunks: readonly unknown[], options: { done?: boolean } = {}): string {
  const body = chunks.map((chunk) => (typeof chunk === 'string' ? chunk : `data: ${JSON.stringify(chunk)}\n\n`)).join('');
  return options.done === false ? body : `${body}data: [DONE]\n\n`;
}

export function anthropicSse(events: ReadonlyArray<Record<string, unknown> | string>): string {
  return events.map((event) => (typeof event === 'string' ? event : `event: ${String(event.type)}\ndata: ${JSON.stringify(event)}\n\n`)).join('');
}

export const delta = (value: Record<string, unknown>, finishReason: string | null = null) => ({
  id: 'chatcmpl-1',
  object: 'chat.completion.chunk',
  choices: [{ index: 0, delta: value, finish_reason: finishReason }],
});

/** A rich OpenAI stream: comments, reasoning, multi-byte text, interleaved tool calls, usage. */
export const OPENAI_RICH = openAiSse([
  ': OPENROUTER PROCESSING\n\n',
  delta({ role: 'assistant', content: '' }),
  { id: 'chatcmpl-1', choices: [] },
  delta({ reasoning_content: '先想一想 🤔' }),
  delta({ content: '你好，世界！', tool_calls: [] }),
  delta({ content: ' Emoji: 👩‍👩‍👧‍👦 ok' }),
  ': keep-alive\n\n',
  delta({ tool_calls: [{ index: 1, id: 'call_a', type: 'function', function: { name: 'search', arguments: '' } }] }),
  delta({ tool_calls: [{ index: 2, id: 'call_b', type: 'function', function: { name: 'read_file', arguments: '{"pa' } }] }),
  delta({ tool_calls: [{ index: 1, function: { arguments: '{"query":"天气' } }] }),
  delta({ tool_calls: [{ index: 2, function: { arguments: 'th":"a.txt"}' } }] }),
  delta({ tool_calls: [{ index: 1, function: { arguments: ' 北京"}' } }] }),
  delta({}, 'tool_calls'),
  { id: 'chatcmpl-1', choices: [], usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 } },
]);

export const OPENAI_RICH_EVENTS = [
  { type: 'reasoning', delta: '先想一想 🤔' },
  { type: 'text', delta: '你好，世界！' },
  { type: 'text', delta: ' Emoji: 👩‍👩‍👧‍👦 ok' },
  { type: 'tool-call', id: 'call_a', name: 'search', input: { query: '天气 北京' } },
  { type: 'tool-call', id: 'call_b', name: 'read_file', input: { path: 'a.txt' } },
  { type: 'usage', inputTokens: 12, outputTokens: 34 },
  { type: 'finish', reason: 'tool-calls' },
];

/** A rich Anthropic stream: thinking with signature, multi-byte text, a tool_use, pings. */
export const ANTHROPIC_RICH = anthropicSse([
  { type: 'message_start', message: { id: 'msg_1', type: 'message', role: 'assistant', content: [], usage: { input_tokens: 20, output_tokens: 1 } } },
  { type: 'ping' },
  { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking: '让我想想…' } },
  { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'c2ln' } },
  { type: 'content_block_stop', index: 0 },
  { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: '天气很好 ☀️' } },
  { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text: ', mostly 🌤' } },
  { type: 'content_block_stop', index: 1 },
  { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_1', name: 'search', input: {} } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '{"query": "东' } },
  { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '京"}' } },
  { type: 'content_block_stop', index: 2 },
  { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { output_tokens: 55 } },
  { type: 'message_stop' },
]);

export const ANTHROPIC_RICH_EVENTS = [
  { type: 'reasoning', delta: '让我想想…' },
  // The signed block whole, for a tool round to send back.
  { type: 'reasoning-block', block: { type: 'thinking', thinking: '让我想想…', signature: 'c2ln' } },
  { type: 'text', delta: '天气很好 ☀️' },
  { type: 'text', delta: ', mostly 🌤' },
  { type: 'tool-call', id: 'toolu_1', name: 'search', input: { query: '东京' } },
  { type: 'usage', inputTokens: 20, outputTokens: 55 },
  { type: 'finish', reason: 'tool-calls' },
];
