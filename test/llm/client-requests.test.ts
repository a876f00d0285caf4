import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ChatMessage, ToolSpec } from '../../src/llm/index.ts';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { startFakeOfox } from '../fakes/ofox/index.ts';
import { MODELS, clientFor, collect } from './support/collect.ts';

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox({ apiKey: 'sk-test-requests' });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

const tools: ToolSpec[] = [
  { name: 'weather', description: 'Weather for a city', inputSchema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } },
];

const conversation: ChatMessage[] = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'system', content: 'Answer briefly.' },
  {
    role: 'user',
    name: 'alice',
    content: [
      { type: 'text', text: 'What is in this picture, and the weather?' },
      { type: 'image', url: 'https://cdn.example.test/cat.png' },
      { type: 'image', url: 'data:image/jpeg;base64,/9j/AAAA' },
    ],
  },
  {
    role: 'assistant',
    content: 'Let me check.',
    toolCalls: [
      { id: 'call_1', name: 'weather', input: { city: 'Paris' } },
      { id: 'call_2', name: 'weather', input: { city: 'Lyon' } },
    ],
  },
  { role: 'tool', toolCallId: 'call_1', toolName: 'weather', content: 'Sunny' },
  { role: 'tool', toolCallId: 'call_2', toolName: 'weather', content: 'Service down', isError: true },
];

describe('the Chat Completions request', () => {
  it('streams with usage, bearer auth, function tools and our messages mapped', async () => {
    await collect(clientFor(fake).streamChat({ model: MODELS.openai, messages: conversation, tools, temperature: 0.2 }));
    const request = fake.requests[0];
    expect(request?.path).toBe('/v1/chat/completions');
    expect(request?.authorized).toBe(true);
    expect(request?.headers.authorization).toBeUndefined();
    expect(request?.body).toMatchObject({ model: MODELS.openai, stream: true, stream_options: { include_usage: true }, temperature: 0.2 });
    expect(request?.body?.provider).toBeUndefined();
    expect(request?.body?.tools).toEqual([
      { type: 'function', function: { name: 'weather', description: 'Weather for a city', parameters: tools[0]?.inputSchema } },
    ]);
    expect(request?.body?.messages).toEqual([
      { role: 'system', content: 'You are helpful.' },
      { role: 'system', content: 'Answer briefly.' },
      {
        role: 'user',
        name: 'alice',
        content: [
          { type: 'text', text: 'What is in this picture, and the weather?' },
          { type: 'image_url', image_url: { url: 'https://cdn.example.test/cat.png' } },
          { type: 'image_url', image_url: { url: 'data:image/jpeg;base64,/9j/AAAA' } },
        ],
      },
      {
        role: 'assistant',
        content: 'Let me check.',
        tool_calls: [
          { id: 'call_1', type: 'function', function: { name: 'weather', arguments: '{"city":"Paris"}' } },
          { id: 'call_2', type: 'function', function: { name: 'weather', arguments: '{"city":"Lyon"}' } },
        ],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'Sunny' },
      { role: 'tool', tool_call_id: 'call_2', content: 'Service down' },
    ]);
    expect(request?.lastMessageIsToolResult).toBe(true);
  });

  it('sends provider.fallback only when fallback models are configured, a request’s own list first', async () => {
    await collect(clientFor(fake, { fallbackModels: ['openai/gpt-4o-mini'] }).streamChat({ model: MODELS.openai, messages: [{ role: 'user', content: 'x' }] }));
    await collect(
      clientFor(fake, { fallbackModels: ['openai/gpt-4o-mini'] }).streamChat({ model: MODELS.openai, messages: [{ role: 'user', content: 'x' }], fallbackModels: ['google/gemini-2.5-flash'] }),
    );
    await collect(clientFor(fake, { fallbackModels: [] }).streamChat({ model: MODELS.openai, messages: [{ role: 'user', content: 'x' }] }));
    expect(fake.requests.map((request) => request.body?.provider)).toEqual([{ fallback: ['openai/gpt-4o-mini'] }, { fallback: ['google/gemini-2.5-flash'] }, undefined]);
  });

  it('sends max_tokens only when someone chose a cap', async () => {
    await collect(clientFor(fake).streamChat({ model: MODELS.openai, messages: [{ role: 'user', content: 'x' }] }));
    await collect(clientFor(fake, { maxOutputTokens: 1000 }).streamChat({ model: MODELS.openai, messages: [{ role: 'user', content: 'x' }] }));
    await collect(clientFor(fake, { maxOutputTokens: 1000 }).streamChat({ model: MODELS.openai, messages: [{ role: 'user', content: 'x' }], maxOutputTokens: 50 }));
    expect(fake.requests.map((request) => request.body?.max_tokens)).toEqual([undefined, 1000, 50]);
  });
});

describe('the Messages request', () => {
  it('carries x-api-key and the version, the system prompt on top, and tool blocks merged into alternating turns', async () => {
    await collect(clientFor(fake).streamChat({ model: MODELS.anthropic, messages: conversation, tools }));
    const request = fake.requests[0];
    expect(request?.path).toBe('/anthropic/v1/messages');
    expect(request?.authorized).toBe(true);
    expect(request?.headers['x-api-key']).toBeUndefined();
    expect(request?.headers['anthropic-version']).toBe('2023-06-01');
    expect(request?.body).toMatchObject({ model: MODELS.anthropic, stream: true, max_tokens: 4096, system: 'You are helpful.\n\nAnswer briefly.' });
    expect(request?.body?.tools).toEqual([{ name: 'weather', description: 'Weather for a city', input_schema: tools[0]?.inputSchema }]);
    expect(request?.body?.messages).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'What is in this picture, and the weather?' },
          { type: 'image', source: { type: 'url', url: 'https://cdn.example.test/cat.png' } },
          { type: 'image', source: { type: 'base64', media_type: 'image/jpeg', data: '/9j/AAAA' } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'text', text: 'Let me check.' },
          { type: 'tool_use', id: 'call_1', name: 'weather', input: { city: 'Paris' } },
          { type: 'tool_use', id: 'call_2', name: 'weather', input: { city: 'Lyon' } },
        ],
      },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 'call_1', content: 'Sunny' },
          { type: 'tool_result', tool_use_id: 'call_2', content: 'Service down', is_error: true },
        ],
      },
    ]);
    expect(request?.lastMessageIsToolResult).toBe(true);
  });

  it('uses the configured or requested max_tokens and leaves out empty assistant text', async () => {
    await collect(
      clientFor(fake, { maxOutputTokens: 2000 }).streamChat({
        model: MODELS.anthropic,
        messages: [
          { role: 'user', content: 'x' },
          { role: 'assistant', content: '', toolCalls: [{ id: 't', name: 'now', input: {} }] },
          { role: 'tool', toolCallId: 't', toolName: 'now', content: 'noon' },
          { role: 'user', content: 'and?' },
        ],
      }),
    );
    const body = fake.requests[0]?.body;
    expect(body?.max_tokens).toBe(2000);
    expect(body?.messages).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'x' }] },
      { role: 'assistant', content: [{ type: 'tool_use', id: 't', name: 'now', input: {} }] },
      {
        role: 'user',
        content: [
          { type: 'tool_result', tool_use_id: 't', content: 'noon' },
          { type: 'text', text: 'and?' },
        ],
      },
    ]);
    expect(body?.system).toBeUndefined();
  });
});

describe('connections', () => {
  it('completed streams leave their keep-alive connection for the next request', async () => {
    const client = clientFor(fake);
    const before = fake.connections;
    for (let round = 0; round < 5; round++) await collect(client.streamChat({ model: MODELS.openai, messages: [{ role: 'user', content: 'x' }] }));
    // The drain after [DONE] is asynchronous, so the second request may race it once.
    expect(fake.connections - before).toBeLessThanOrEqual(2);
  });
});
