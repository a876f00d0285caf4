import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { startFakeOfox, text, toolCall } from '../fakes/ofox/index.ts';
import { MODELS, ask, clientFor, collect, textOf } from './support/collect.ts';

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox({ apiKey: 'sk-fake-key' });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

async function post(path: string, headers: Record<string, string>, body: unknown) {
  const response = await request(`${fake.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  return { status: response.statusCode, headers: response.headers, body: await response.body.text() };
}

describe('the fake OfoxAI', () => {
  it('answers a wrong key with 401 in each protocol’s own error format', async () => {
    const openai = await post('/v1/chat/completions', { authorization: 'Bearer nope' }, { model: 'm', messages: [] });
    expect(openai.status).toBe(401);
    expect(JSON.parse(openai.body)).toMatchObject({ error: { type: 'authentication_error', code: 'invalid_api_key' } });
    const anthropic = await post('/anthropic/v1/messages', { 'x-api-key': 'nope' }, { model: 'm', messages: [] });
    expect(anthropic.status).toBe(401);
    expect(JSON.parse(anthropic.body)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
  });

  it('records requests without their credentials', async () => {
    await collect(clientFor(fake).streamChat({ model: MODELS.anthropic, messages: ask('hello fake') }));
    const [recorded] = fake.requests;
    expect(recorded).toMatchObject({ sequence: 1, protocol: 'anthropic', model: MODELS.anthropic, lastUserText: 'hello fake', lastMessageIsToolResult: false, authorized: true });
    expect(JSON.stringify(recorded)).not.toContain('sk-fake-key');
  });

  it('echoes the last user message when nothing else was scripted', async () => {
    const { events } = await collect(clientFor(fake).streamChat({ model: MODELS.openai, messages: ask('marco') }));
    expect(textOf(events)).toBe('You said: marco');
  });

  it('uses queued scenarios first, then the responder', async () => {
    fake.respond(() => [text('from responder')]);
    fake.enqueue([text('queued')]);
    const client = clientFor(fake);
    expect(textOf((await collect(client.streamChat({ model: MODELS.openai, messages: ask() }))).events)).toBe('queued');
    expect(textOf((await collect(client.streamChat({ model: MODELS.openai, messages: ask() }))).events)).toBe('from responder');
  });

  it('sends configurable rate-limit headers, or none', async () => {
    const first = await post('/v1/chat/completions', { authorization: 'Bearer sk-fake-key' }, { model: 'm', messages: [] });
    expect(first.headers['x-ratelimit-remaining-requests']).toBe('999');
    fake.setRateLimitHeaders({ 'x-ratelimit-remaining-requests': '3' });
    const second = await post('/v1/chat/completions', { authorization: 'Bearer sk-fake-key' }, { model: 'm', messages: [] });
    expect(second.headers['x-ratelimit-remaining-requests']).toBe('3');
    fake.setRateLimitHeaders(false);
    const third = await post('/v1/chat/completions', { authorization: 'Bearer sk-fake-key' }, { model: 'm', messages: [] });
    expect(third.headers['x-ratelimit-remaining-requests']).toBeUndefined();
  });

  it('streams realistic chat-completion chunks with pacing', async () => {
    fake.enqueue([text('a b c', { tokensPerSecond: 200 }), toolCall('f', { x: 1 }, { id: 'call_x' })]);
    const response = await post('/v1/chat/completions', { authorization: 'Bearer sk-fake-key' }, { model: 'm', messages: [] });
    expect(response.headers['content-type']).toContain('text/event-stream');
    expect(response.body).toContain('"delta":{"content":"a "}');
    expect(response.body).toContain('"id":"call_x"');
    expect(response.body).toContain('"finish_reason":"tool_calls"');
    expect(response.body.endsWith('data: [DONE]\n\n')).toBe(true);
  });

  it('keeps up with hundreds of concurrent paced streams', async () => {
    fake.respond(() => [text('one two three four five six seven eight', { tokensPerSecond: 200 })]);
    const client = clientFor(fake);
    const results = await Promise.all(Array.from({ length: 300 }, () => collect(client.streamChat({ model: MODELS.openai, messages: ask() }))));
    expect(results.every((result) => result.error === undefined && textOf(result.events) === 'one two three four five six seven eight')).toBe(true);
  });
});
