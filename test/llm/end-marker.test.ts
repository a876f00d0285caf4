import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { endEarly, finish, raw, startFakeOfox, text, toolCall, usage } from '../fakes/ofox/index.ts';
import { MODELS, PROTOCOLS, ask, clientFor, collect, finalRound, textOf } from './support/collect.ts';

// The protocol's end marker (`[DONE]`, `message_stop`) alone decides whether an answer is whole;
// a complete answer must never be paid for twice.

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox();
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

describe.each(PROTOCOLS)('the end marker completes an answer over the %s protocol', (protocol) => {
  const model = MODELS[protocol];

  it('content, no finish reason, then the end marker: one upstream request and a complete answer', async () => {
    fake.respond(() => [text('Complete without a finish reason.'), usage(5, 6), finish(null)]);
    const { events, error } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(events.some((event) => event.type === 'retry')).toBe(false);
    expect(textOf(events)).toBe('Complete without a finish reason.');
    expect(events.slice(-2)).toEqual([
      { type: 'usage', inputTokens: 5, outputTokens: 6 },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('a tool call, no finish reason, then the end marker: one request, and the call is acted on', async () => {
    fake.respond(() => [toolCall('calculator', { expression: '1+1' }, { id: 'call_1' }), finish(null)]);
    const { events, error } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(events.filter((event) => event.type === 'tool-call')).toEqual([{ type: 'tool-call', id: 'call_1', name: 'calculator', input: { expression: '1+1' } }]);
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'tool-calls' });
  });

  it('a stream that ends without its end marker is still retried, and the retry completes it', async () => {
    fake.enqueue([text('Half of'), endEarly()], [text('The whole answer.'), finish(null)]);
    const { events, error } = await collect(clientFor(fake).streamChat({ model, messages: ask() }));
    expect(error).toBeUndefined();
    expect(fake.requests).toHaveLength(2);
    expect(events.filter((event) => event.type === 'retry')).toHaveLength(1);
    expect(textOf(finalRound(events))).toBe('The whole answer.');
    expect(finalRound(events).at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });
});

describe('a whole answer sent as JSON instead of a stream', () => {
  const asJson = (body: Record<string, unknown>) => ({ steps: [raw(JSON.stringify(body))], headers: { 'content-type': 'application/json' } });

  it('Chat Completions: read as the answer it is, in one request', async () => {
    fake.enqueue(
      asJson({
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: 'Not streamed, still whole.' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 3, completion_tokens: 4 },
      }),
    );
    const { events, error } = await collect(clientFor(fake).streamChat({ model: MODELS.openai, messages: ask() }));
    expect(error).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(events).toEqual([
      { type: 'text', delta: 'Not streamed, still whole.' },
      { type: 'usage', inputTokens: 3, outputTokens: 4 },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('Messages: read as the answer it is, tool use included, in one request', async () => {
    fake.enqueue(
      asJson({
        type: 'message',
        role: 'assistant',
        content: [
          { type: 'text', text: 'Checking.' },
          { type: 'tool_use', id: 'toolu_1', name: 'calculator', input: { expression: '2*3' } },
        ],
        stop_reason: 'tool_use',
        usage: { input_tokens: 8, output_tokens: 9 },
      }),
    );
    const { events, error } = await collect(clientFor(fake).streamChat({ model: MODELS.anthropic, messages: ask() }));
    expect(error).toBeUndefined();
    expect(fake.requests).toHaveLength(1);
    expect(events).toEqual([
      { type: 'text', delta: 'Checking.' },
      { type: 'tool-call', id: 'toolu_1', name: 'calculator', input: { expression: '2*3' } },
      { type: 'usage', inputTokens: 8, outputTokens: 9 },
      { type: 'finish', reason: 'tool-calls' },
    ]);
  });
});
