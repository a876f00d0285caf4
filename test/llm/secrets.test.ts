import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { describeLlmError } from '../../src/llm/index.ts';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { httpError, malformedChunk, startFakeOfox, streamError, text } from '../fakes/ofox/index.ts';
import { MODELS, PROTOCOLS, ask, clientFor, collect } from './support/collect.ts';

const KEY = 'sk-ofox-THIS-MUST-NEVER-LEAK-1234567890';

let fake: FakeOfox;
beforeAll(async () => {
  fake = await startFakeOfox({ apiKey: KEY });
});
afterEach(() => fake.reset());
afterAll(() => fake.close());

function everythingSaidAbout(error: unknown, events: unknown[]): string {
  const parts = [String(error), describeLlmError(error), JSON.stringify(events), JSON.stringify(error)];
  if (error instanceof Error) parts.push(error.message, error.stack ?? '', String((error as { upstreamMessage?: string }).upstreamMessage));
  return parts.join('\n');
}

describe.each(PROTOCOLS)('the API key never appears in an error (%s)', (protocol) => {
  const model = MODELS[protocol];
  const echoes = [
    ['an HTTP error that echoes the key', [httpError(401, { message: `Incorrect API key provided: ${KEY}` })]],
    ['a 400 that echoes the authorization header', [httpError(400, { message: `bad header "Authorization: Bearer ${KEY}"` })]],
    ['a plain-text error body with the key', [httpError(500, { body: `upstream said ${KEY}` })]],
    ['a mid-stream error with the key', [text('x'), streamError({ errorType: 'invalid_request_error', message: `key ${KEY} is not allowed` })]],
    ['a malformed chunk that contains the key', [text('x'), malformedChunk(`{"oops": "${KEY}"`)]],
  ] as const;

  it.each(echoes)('%s', async (_name, scenario) => {
    fake.respond(() => scenario);
    const { events, error } = await collect(clientFor(fake, { maxAttempts: 2 }).streamChat({ model, messages: ask() }));
    expect(error).toBeInstanceOf(Error);
    const said = everythingSaidAbout(error, events);
    expect(said).not.toContain(KEY);
    expect(said).not.toContain('NEVER-LEAK');
  });
});
