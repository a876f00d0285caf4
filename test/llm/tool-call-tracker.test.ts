import { describe, expect, it } from 'vitest';
import { ToolCallTracker } from '../../src/llm/index.ts';

describe('the tool-call tracker', () => {
  it('keeps id and name from the first fragment and joins the arguments in order', () => {
    const tracker = new ToolCallTracker();
    tracker.update(3, { id: 'call_1', name: 'search', arguments: '' });
    tracker.update(3, { arguments: '{"q":' });
    tracker.update(3, { id: 'ignored', name: 'ignored', arguments: ' "x"}' });
    expect(tracker.complete(3)).toEqual({ type: 'tool-call', id: 'call_1', name: 'search', input: { q: 'x' } });
    expect(tracker.size).toBe(0);
  });

  it('completes open calls in the order they first appeared', () => {
    const tracker = new ToolCallTracker();
    tracker.update(2, { id: 'b', name: 'second' });
    tracker.update(0, { id: 'a', name: 'first' });
    expect(tracker.completeAll().map((call) => call.id)).toEqual(['b', 'a']);
  });

  it('flags arrays, strings and null as invalid: tool input must be an object', () => {
    for (const raw of ['[1,2]', '"text"', 'null', '42']) {
      const tracker = new ToolCallTracker();
      tracker.update(0, { id: 'a', name: 'f', arguments: raw });
      expect(tracker.complete(0)).toMatchObject({ input: {}, invalid: { raw, message: 'arguments must be a JSON object' } });
    }
  });

  it('gives a call without an id a generated one, so results can still be matched', () => {
    const tracker = new ToolCallTracker();
    tracker.update(0, { name: 'f', arguments: '{}' });
    const call = tracker.complete(0);
    expect(call?.id).toMatch(/^call_[0-9a-f]{24}$/);
    // A later round's tracker must not hand out the same id: the transcript holds both rounds.
    const nextRound = new ToolCallTracker();
    nextRound.update(0, { name: 'f', arguments: '{}' });
    expect(nextRound.complete(0)?.id).not.toBe(call?.id);
  });
});
