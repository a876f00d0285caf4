import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { raw, startFakeOfox } from '../fakes/ofox/index.ts';
import { ask, clientFor, collect, reasoningOf, textOf } from './support/collect.ts';

// Recorded by other projects from live gateways; test/fixtures/sse/README.md says where each came from.
const FIXTURES = new URL('../fixtures/sse/', import.meta.url);

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox();
});
afterAll(() => fake.close());

describe('recorded gateway streams replayed through the fake', () => {
  it('a tool call whose index starts at 1 with arguments split mid-key', async () => {
    const bytes = await readFile(new URL('gateway-tool-call-index-1.sse', FIXTURES));
    fake.enqueue([raw(bytes, { chunkSize: 37 })]);
    const { events, error } = await collect(clientFor(fake, { maxAttempts: 1 }).streamChat({ model: 'openai/gpt-4o', messages: ask() }));
    expect(error).toBeUndefined();
    expect(textOf(events)).toBe('Reading it.');
    expect(events.filter((event) => event.type === 'tool-call')).toEqual([{ type: 'tool-call', id: 'toolu_sanitized', name: 'read_file', input: { path: 'a.txt' } }]);
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'tool-calls' });
  });

  it('empty tool_calls arrays and empty content on every chunk, with reasoning_content', async () => {
    const lines = (await readFile(new URL('empty-tool-calls-arrays.chunks.jsonl', FIXTURES), 'utf8')).split('\n').filter((line) => line.trim() !== '');
    fake.enqueue([raw(`${lines.map((line) => `data: ${line}\n\n`).join('')}data: [DONE]\n\n`)]);
    const { events, error } = await collect(clientFor(fake, { maxAttempts: 1 }).streamChat({ model: 'openai/gpt-4o', messages: ask() }));
    expect(error).toBeUndefined();
    expect(reasoningOf(events)).toBe('Think more...');
    expect(textOf(events)).toBe('Hello');
    expect(events.some((event) => event.type === 'tool-call')).toBe(false);
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });
});
