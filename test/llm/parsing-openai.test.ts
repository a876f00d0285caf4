import { describe, expect, it } from 'vitest';
import type { LlmError } from './support/decoders.ts';
import { openAiParser } from './support/decoders.ts';
import { collect, streamOf } from './support/collect.ts';
import { OPENAI_RICH, OPENAI_RICH_EVENTS, delta, openAiSse } from './support/wire-samples.ts';

const decode = (sse: string) => collect(openAiParser.decode(sse));

describe('the Chat Completions stream parser', () => {
  it('turns comments, empty chunks, reasoning, text, interleaved tool calls and usage into events', async () => {
    const { events, error } = await decode(OPENAI_RICH);
    expect(error).toBeUndefined();
    expect(events).toEqual(OPENAI_RICH_EVENTS);
  });

  it('ignores empty choices, empty tool_calls arrays and empty content strings', async () => {
    const { events } = await decode(
      openAiSse([
        { choices: [] },
        delta({ role: 'assistant', content: '', tool_calls: [] }),
        delta({ content: '', reasoning_content: '' }),
        delta({ content: 'Hi' }),
        delta({}, 'stop'),
      ]),
    );
    expect(events).toEqual([
      { type: 'text', delta: 'Hi' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('reads `reasoning` as well as `reasoning_content`', async () => {
    const { events } = await decode(openAiSse([delta({ reasoning: 'hmm' }), delta({ content: 'ok' }, 'stop')]));
    expect(events.slice(0, 2)).toEqual([
      { type: 'reasoning', delta: 'hmm' },
      { type: 'text', delta: 'ok' },
    ]);
  });

  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['tool_calls', 'tool-calls'],
    ['function_call', 'tool-calls'],
    ['content_filter', 'content-filter'],
    ['end_turn', 'stop'],
    ['something_new', 'error'],
  ])('maps finish_reason %s to %s', async (wire, reason) => {
    const { events } = await decode(openAiSse([delta({ content: 'x' }), delta({}, wire)]));
    expect(events.at(-1)).toEqual({ type: 'finish', reason });
  });

  it('accumulates a tool call whose id and name come once and whose arguments span many chunks', async () => {
    const fragments = ['{"ci', 'ty": "Par', 'is", "unit', 's": ["c", ', '"f"]}'];
    const { events } = await decode(
      openAiSse([
        delta({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: 'weather', arguments: '' } }] }),
        ...fragments.map((arguments_) => delta({ tool_calls: [{ index: 0, function: { arguments: arguments_ } }] })),
        delta({}, 'tool_calls'),
      ]),
    );
    expect(events).toEqual([
      { type: 'tool-call', id: 'call_1', name: 'weather', input: { city: 'Paris', units: ['c', 'f'] } },
      { type: 'finish', reason: 'tool-calls' },
    ]);
  });

  it('does not complete a tool call early when a prefix of its arguments happens to parse', async () => {
    const { events } = await decode(
      openAiSse([
        delta({ tool_calls: [{ index: 0, id: 'call_1', function: { name: 'count', arguments: '12' } }] }),
        delta({ tool_calls: [{ index: 0, function: { arguments: '' } }] }),
        delta({}, 'tool_calls'),
      ]),
    );
    // "12" is valid JSON but not an object: flagged, never taken as the final input.
    expect(events[0]).toMatchObject({ type: 'tool-call', input: {}, invalid: { raw: '12' } });
  });

  it('treats empty arguments as {} and flags arguments that are not valid JSON', async () => {
    const { events } = await decode(
      openAiSse([
        delta({ tool_calls: [{ index: 0, id: 'a', function: { name: 'now', arguments: '' } }] }),
        delta({ tool_calls: [{ index: 1, id: 'b', function: { name: 'broken', arguments: '{"x": ' } }] }),
        delta({}, 'tool_calls'),
      ]),
    );
    expect(events[0]).toEqual({ type: 'tool-call', id: 'a', name: 'now', input: {} });
    expect(events[1]).toMatchObject({ type: 'tool-call', id: 'b', name: 'broken', input: {}, invalid: { raw: '{"x": ' } });
    expect((events[1] as { invalid: { message: string } }).invalid.message).toMatch(/not valid JSON/);
  });

  it('reports `stop` after tool calls as tool-calls, since the calls are what must happen next', async () => {
    const { events } = await decode(
      openAiSse([delta({ tool_calls: [{ index: 0, id: 'a', function: { name: 'now', arguments: '{}' } }] }), delta({}, 'stop')]),
    );
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'tool-calls' });
  });

  it('understands the legacy function_call delta', async () => {
    const { events } = await decode(
      openAiSse([delta({ function_call: { name: 'now', arguments: '{"tz":' } }), delta({ function_call: { arguments: '"UTC"}' } }), delta({}, 'function_call')]),
    );
    expect(events[0]).toMatchObject({ type: 'tool-call', name: 'now', input: { tz: 'UTC' } });
  });

  it('emits tool calls, usage and finish only at [DONE], after all text', async () => {
    const { events } = await decode(
      openAiSse([
        delta({ tool_calls: [{ index: 0, id: 'a', function: { name: 'now', arguments: '{}' } }] }),
        delta({}, 'tool_calls'),
        { choices: [], usage: { prompt_tokens: 1, completion_tokens: 2 } },
      ]),
    );
    expect(events.map((event) => event.type)).toEqual(['tool-call', 'usage', 'finish']);
  });

  it('turns an error object in the middle of the stream into a typed error', async () => {
    const rateLimited = await decode(openAiSse([delta({ content: 'Hel' }), { error: { message: 'Rate limit reached', type: 'rate_limit_exceeded', code: 429 } }], { done: false }));
    expect(rateLimited.events).toEqual([{ type: 'text', delta: 'Hel' }]);
    expect(rateLimited.error).toMatchObject({ name: 'LlmError', kind: 'rate-limit' });
    expect((rateLimited.error as LlmError).upstreamMessage).toBe('Rate limit reached');

    const tooLong = await decode(openAiSse([{ error: { message: 'too long', code: 'context_length_exceeded' } }], { done: false }));
    expect(tooLong.error).toMatchObject({ name: 'LlmError', kind: 'context-too-long' });

    const unknown = await decode(openAiSse([{ error: { message: 'Provider returned error' } }], { done: false }));
    expect(unknown.error).toMatchObject({ name: 'LlmError', kind: 'server' });
  });

  it('fails with a malformed-stream error on a chunk that is not JSON', async () => {
    const { error } = await decode(openAiSse([delta({ content: 'a' }), 'data: {"choices": [\n\n']));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'malformed-stream' });
    expect((error as LlmError).retryable).toBe(true);
  });

  it('treats a stream without [DONE] as cut off, even after a finish reason', async () => {
    const { events, error } = await decode(openAiSse([delta({ content: 'Hello' }), delta({}, 'stop')], { done: false }));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'stream-cut-off' });
    expect(events).toEqual([{ type: 'text', delta: 'Hello' }]);
  });

  it('treats [DONE] without any finish reason as a complete answer that stopped', async () => {
    const { error, events } = await decode(openAiSse([delta({ content: 'Hello' })]));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'text', delta: 'Hello' },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('accepts a final [DONE] line without the blank line after it, but not a half line', async () => {
    const whole = await decode(`${openAiSse([delta({ content: 'x' }, 'stop')], { done: false })}data: [DONE]\n`);
    expect(whole.error).toBeUndefined();
    const half = await decode(`${openAiSse([delta({ content: 'x' }, 'stop')], { done: false })}data: [DO`);
    expect(half.error).toMatchObject({ name: 'LlmError', kind: 'stream-cut-off' });
  });

  it('keeps the latest usage when a gateway repeats it, and reads CRLF line endings', async () => {
    const sse = openAiSse([
      delta({ content: 'a' }),
      { choices: [], usage: { prompt_tokens: 5, completion_tokens: 1 } },
      delta({}, 'length'),
      { choices: [], usage: { prompt_tokens: 5, completion_tokens: 9 } },
    ]).replace(/\n/g, '\r\n');
    const { events } = await decode(sse);
    expect(events).toEqual([
      { type: 'text', delta: 'a' },
      { type: 'usage', inputTokens: 5, outputTokens: 9 },
      { type: 'finish', reason: 'length' },
    ]);
  });

  it('stops reading at [DONE] even if the server keeps talking', async () => {
    const { events, error } = await decode(`${openAiSse([delta({ content: 'x' }, 'stop')])}data: {"not": "read"\n\n`);
    expect(error).toBeUndefined();
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });

  it('works with a stream passed in one byte at a time', async () => {
    const bytes = new TextEncoder().encode(OPENAI_RICH);
    const single = Array.from(bytes, (byte) => Uint8Array.of(byte));
    const { events } = await collect(openAiParser.decodeBytes(streamOf(single)));
    expect(events).toEqual(OPENAI_RICH_EVENTS);
  });
});
