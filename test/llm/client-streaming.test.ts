import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { endEarly, finish, keepAlive, malformedChunk, reasoning, startFakeOfox, streamError, text, toolCall, toolCalls, usage } from '../fakes/ofox/index.ts';
import { MODELS, PROTOCOLS, ask, clientFor, collect, reasoningOf, textOf } from './support/collect.ts';

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox({ apiKey: 'sk-test-streaming' });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

describe.each(PROTOCOLS)('streaming a chat over the %s protocol', (protocol) => {
  const model = MODELS[protocol];

  it('passes text through as it arrives and ends with usage and the finish reason', async () => {
    fake.enqueue([text('Hello there, 世界 👋', { chunkSize: 3 }), usage(11, 22), finish('stop')]);
    const { events, error } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('Hello there, 世界 👋');
    expect(events.filter((event) => event.type === 'text').length).toBeGreaterThan(3);
    expect(events.slice(-2)).toEqual([
      { type: 'usage', inputTokens: 11, outputTokens: 22 },
      { type: 'finish', reason: 'stop' },
    ]);
    expect(fake.requests[0]?.protocol).toBe(protocol);
  });

  it('passes reasoning before the answer', async () => {
    fake.enqueue([reasoning('Let me think about it.'), text('Yes.')]);
    const { events } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(reasoningOf(events)).toBe('Let me think about it.');
    expect(textOf(events)).toBe('Yes.');
    expect(events.findIndex((event) => event.type === 'reasoning')).toBeLessThan(events.findIndex((event) => event.type === 'text'));
  });

  it('delivers parallel tool calls whose arguments were split over many chunks', async () => {
    fake.enqueue([
      text('Checking both.'),
      toolCalls(
        [
          { id: 'call_weather', name: 'weather', arguments: { city: 'São Paulo', days: 3 } },
          { id: 'call_time', name: 'time', arguments: { zone: 'Asia/Tokyo' } },
        ],
        { argumentChunks: 7, startIndex: 1 },
      ),
    ]);
    const { events } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(events.filter((event) => event.type === 'tool-call')).toEqual([
      { type: 'tool-call', id: 'call_weather', name: 'weather', input: { city: 'São Paulo', days: 3 } },
      { type: 'tool-call', id: 'call_time', name: 'time', input: { zone: 'Asia/Tokyo' } },
    ]);
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'tool-calls' });
  });

  it('flags invalid tool arguments instead of failing the stream', async () => {
    fake.enqueue([toolCall('lookup', '{"term": "unterminated', { id: 'call_bad' }), toolCall('empty', '', { id: 'call_empty' })]);
    const { events, error } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    const calls = events.filter((event) => event.type === 'tool-call');
    expect(calls[0]).toMatchObject({ id: 'call_bad', name: 'lookup', input: {}, invalid: { raw: '{"term": "unterminated' } });
    expect(calls[1]).toEqual({ type: 'tool-call', id: 'call_empty', name: 'empty', input: {} });
  });

  it('ignores keep-alives between chunks', async () => {
    fake.enqueue([keepAlive(3), text('one'), keepAlive(2), text(' two')]);
    const { events } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(textOf(events)).toBe('one two');
  });

  it('maps the length and content-filter finish reasons', async () => {
    fake.enqueue([text('cut'), finish('length')], [text('no'), finish('content-filter')]);
    const client = clientFor(fake);
    expect((await collect(client.streamChat({ model, messages: ask() }))).events.at(-1)).toEqual({ type: 'finish', reason: 'length' });
    expect((await collect(client.streamChat({ model, messages: ask() }))).events.at(-1)).toEqual({ type: 'finish', reason: 'content-filter' });
  });

  it('retries after a mid-stream error event and replaces the round that failed', async () => {
    fake.enqueue([text('Partial answ'), streamError({ errorType: 'overloaded_error', message: 'Overloaded' })], [text('Full answer.')]);
    const { events, error } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    const retry = events.findIndex((event) => event.type === 'retry');
    expect(retry).toBeGreaterThan(0);
    expect(textOf(events.slice(0, retry))).toBe('Partial answ');
    expect(textOf(events.slice(retry + 1))).toBe('Full answer.');
  });

  it('throws the typed mid-stream error once attempts run out', async () => {
    fake.respond(() => [text('x'), streamError({ errorType: 'overloaded_error', message: 'Overloaded' })]);
    const { error } = await collect(clientFor(fake, { maxAttempts: 2 }).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'overloaded' });
    expect(fake.requests).toHaveLength(2);
  });

  it('retries a malformed chunk and throws a malformed-stream error when it persists', async () => {
    fake.respond(() => [text('a'), malformedChunk()]);
    const { events, error } = await collect(clientFor(fake, { maxAttempts: 3 }).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'malformed-stream' });
    expect(events.filter((event) => event.type === 'retry')).toHaveLength(2);
  });

  it('treats a response that ends without its end marker as cut off, never as complete', async () => {
    fake.respond(() => [text('Half of it'), endEarly()]);
    const { events, error } = await collect(clientFor(fake, { maxAttempts: 1 }).streamChat({ model, messages: ask() }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'stream-cut-off' });
    expect(events.some((event) => event.type === 'finish')).toBe(false);
  });

  it('sends the conversation on to the next round after a tool result', async () => {
    fake.respond((request) => (request.lastMessageIsToolResult ? [text('It is 12:00.')] : [toolCall('time', {}, { id: 'call_1' })]));
    const client = clientFor(fake);
    const first = await collect(client.streamChat({ model, messages: ask('time?') }));
    expect(first.events.at(-1)).toEqual({ type: 'finish', reason: 'tool-calls' });
    const second = await collect(
      client.streamChat({
        model,
        messages: [
          ...ask('time?'),
          { role: 'assistant', content: '', toolCalls: [{ id: 'call_1', name: 'time', input: {} }] },
          { role: 'tool', toolCallId: 'call_1', toolName: 'time', content: '12:00' },
        ],
      }),
    );
    expect(textOf(second.events)).toBe('It is 12:00.');
  });
});

describe('protocol choice', () => {
  it('auto speaks Anthropic Messages to anthropic/* models and Chat Completions to the rest', async () => {
    const client = clientFor(fake);
    await collect(client.streamChat({ model: 'anthropic/claude-sonnet-4.5', messages: ask() }));
    await collect(client.streamChat({ model: 'google/gemini-2.5-pro', messages: ask() }));
    expect(fake.requests.map((request) => request.protocol)).toEqual(['anthropic', 'openai']);
  });

  it('a fixed protocol is used for every model', async () => {
    const client = clientFor(fake, { protocol: 'openai' });
    const { events } = await collect(client.streamChat({ model: 'anthropic/claude-sonnet-4.5', messages: ask('ping') }));
    expect(textOf(events)).toBe('You said: ping');
    expect(fake.requests[0]?.protocol).toBe('openai');
  });
});
