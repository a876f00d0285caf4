import { describe, expect, it } from 'vitest';
import { collect } from './support/collect.ts';
import type { LlmError } from './support/decoders.ts';
import { anthropicParser } from './support/decoders.ts';
import { ANTHROPIC_RICH, ANTHROPIC_RICH_EVENTS, anthropicSse } from './support/wire-samples.ts';

const decode = (sse: string) => collect(anthropicParser.decode(sse));

const start = { type: 'message_start', message: { id: 'm', usage: { input_tokens: 7, output_tokens: 1 } } };
const textBlock = (index: number, text: string) => [
  { type: 'content_block_start', index, content_block: { type: 'text', text: '' } },
  { type: 'content_block_delta', index, delta: { type: 'text_delta', text } },
  { type: 'content_block_stop', index },
];
const stop = (reason: string | null, outputTokens = 3) => [
  { type: 'message_delta', delta: { stop_reason: reason }, usage: { output_tokens: outputTokens } },
  { type: 'message_stop' },
];

describe('the Messages stream parser', () => {
  it('turns thinking (with its signed block), text, tool_use and usage into events and ignores pings', async () => {
    const { events, error } = await decode(ANTHROPIC_RICH);
    expect(error).toBeUndefined();
    expect(events).toEqual(ANTHROPIC_RICH_EVENTS);
  });

  it.each([
    ['end_turn', 'stop'],
    ['stop_sequence', 'stop'],
    ['max_tokens', 'length'],
    ['tool_use', 'tool-calls'],
    ['refusal', 'content-filter'],
    ['brand_new_reason', 'error'],
  ])('maps stop_reason %s to %s', async (wire, reason) => {
    const { events } = await decode(anthropicSse([start, ...textBlock(0, 'x'), ...stop(wire)]));
    expect(events.at(-1)).toEqual({ type: 'finish', reason });
  });

  it('emits a tool call at its content_block_stop, with {} when no partial_json came', async () => {
    const { events } = await decode(
      anthropicSse([
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't1', name: 'now', input: {} } },
        { type: 'content_block_stop', index: 0 },
        ...textBlock(1, 'after'),
        ...stop('tool_use'),
      ]),
    );
    expect(events).toEqual([
      { type: 'tool-call', id: 't1', name: 'now', input: {} },
      { type: 'text', delta: 'after' },
      { type: 'usage', inputTokens: 7, outputTokens: 3 },
      { type: 'finish', reason: 'tool-calls' },
    ]);
  });

  it('flags tool input that is not valid JSON', async () => {
    const { events } = await decode(
      anthropicSse([
        start,
        { type: 'content_block_start', index: 0, content_block: { type: 'tool_use', id: 't1', name: 'f', input: {} } },
        { type: 'content_block_delta', index: 0, delta: { type: 'input_json_delta', partial_json: '{"a": tru' } },
        { type: 'content_block_stop', index: 0 },
        ...stop('tool_use'),
      ]),
    );
    expect(events[0]).toMatchObject({ type: 'tool-call', id: 't1', input: {}, invalid: { raw: '{"a": tru' } });
  });

  it('counts cached prompt tokens as input and takes the last output count', async () => {
    const { events } = await decode(
      anthropicSse([
        { type: 'message_start', message: { usage: { input_tokens: 10, cache_read_input_tokens: 90, cache_creation_input_tokens: 5, output_tokens: 1 } } },
        ...textBlock(0, 'x'),
        ...stop('end_turn', 42),
      ]),
    );
    expect(events.find((event) => event.type === 'usage')).toEqual({ type: 'usage', inputTokens: 105, outputTokens: 42, cachedInputTokens: 90, cacheWriteTokens: 5 });
  });

  it('turns an error event into a typed error', async () => {
    const overloaded = await decode(
      anthropicSse([start, ...textBlock(0, 'Hel'), { type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } }]),
    );
    expect(overloaded.events).toEqual([{ type: 'text', delta: 'Hel' }]);
    expect(overloaded.error).toMatchObject({ name: 'LlmError', kind: 'overloaded' });
    expect((overloaded.error as LlmError).retryable).toBe(true);
    const auth = await decode(anthropicSse([{ type: 'error', error: { type: 'authentication_error', message: 'bad key' } }]));
    expect(auth.error).toMatchObject({ name: 'LlmError', kind: 'auth' });
  });

  it('treats a stream without message_stop as cut off', async () => {
    const { error } = await decode(anthropicSse([start, ...textBlock(0, 'Hello'), { type: 'message_delta', delta: { stop_reason: 'end_turn' } }]));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'stream-cut-off' });
  });

  it('treats message_stop without a stop reason as a complete answer that stopped', async () => {
    const { error, events } = await decode(anthropicSse([start, ...textBlock(0, 'Hello'), { type: 'message_stop' }]));
    expect(error).toBeUndefined();
    expect(events).toEqual([
      { type: 'text', delta: 'Hello' },
      { type: 'usage', inputTokens: 7, outputTokens: 1 },
      { type: 'finish', reason: 'stop' },
    ]);
  });

  it('takes a message_stop event with empty data as the end marker it is', async () => {
    const { error, events } = await decode(anthropicSse([start, ...textBlock(0, 'Hello'), ...stop('end_turn').slice(0, -1), 'event: message_stop\ndata:\n\n']));
    expect(error).toBeUndefined();
    expect(events.at(-1)).toEqual({ type: 'finish', reason: 'stop' });
  });

  it('fails with a malformed-stream error on a chunk that is not JSON', async () => {
    const { error } = await decode(anthropicSse([start, 'event: content_block_delta\ndata: {"type":"content_block_delta",\n\n']));
    expect(error).toMatchObject({ name: 'LlmError', kind: 'malformed-stream' });
  });

  it('dispatches on the data type even when a gateway leaves out the event names', async () => {
    const sse = anthropicSse([start, ...textBlock(0, 'plain'), ...stop('end_turn')]).replace(/^event: .*\n/gm, '');
    const { events } = await decode(sse);
    expect(events.map((event) => event.type)).toEqual(['text', 'usage', 'finish']);
  });
});
