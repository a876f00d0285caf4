import { describe, expect, it } from 'vitest';
import {
  LocalWritePacer,
  NO_ANSWER_TEXT,
  ProgressiveMessage,
  RenderWriteError,
  SUPERSEDED_TEXT,
  type WritePacer,
  type ProgressiveMessageOptions,
  type RenderLog,
  type SurfaceLimits,
} from '../../src/render/index.ts';
import { ManualClock } from './helpers/manual-clock.ts';
import { RecordingSurface, type Failure, type RecordingSurfaceOptions, type SurfaceCall } from './helpers/recording-surface.ts';

const DISCORD_LIKE: SurfaceLimits = { maxChars: 2_000, minEditIntervalMs: 1_000, channelEditsPerWindow: 5, channelWindowMs: 5_000 };

function setup(options: { limits?: Partial<SurfaceLimits>; surface?: Partial<RecordingSurfaceOptions>; message?: Partial<ProgressiveMessageOptions>; placeholder?: boolean } = {}) {
  const clock = new ManualClock();
  const surface = new RecordingSurface({ clock, limits: { ...DISCORD_LIKE, ...options.limits }, ...options.surface });
  const pacer = new LocalWritePacer({ clock });
  const placeholder = options.placeholder === false ? undefined : surface.placeholder();
  const warnings: string[] = [];
  const log: RenderLog = { warn: (_details, message) => warnings.push(message), info: () => {} };
  const message = new ProgressiveMessage({ surface, pacer, clock, log, placeholder, controls: { kind: 'stop', jobId: 'job-1' }, ...options.message });
  return { clock, surface, pacer, message, placeholder, warnings };
}

const writes = (calls: SurfaceCall[], messageId: string) => calls.filter((call) => call.messageId === messageId);

describe('ProgressiveMessage', () => {
  it('shows the first text at once by editing the placeholder, with the Stop button', async () => {
    const { clock, surface, message, placeholder } = setup();
    message.setBody('Hello');
    await clock.advance(0);
    expect(surface.calls).toHaveLength(1);
    expect(surface.calls[0]).toMatchObject({ kind: 'edit', messageId: placeholder!.id, text: 'Hello', startedAt: 0 });
    expect(surface.calls[0]?.options).toEqual({ controls: { kind: 'stop', jobId: 'job-1' }, final: false });
  });

  it('creates the message with the first text when ingress posted no placeholder', async () => {
    const { clock, surface, message } = setup({ placeholder: false });
    message.setBody('Hi');
    await clock.advance(0);
    expect(surface.calls[0]).toMatchObject({ kind: 'create', text: 'Hi', startedAt: 0 });
    expect(message.refs).toEqual([{ id: surface.created[0], channelId: 'channel' }]);
  });

  it('leaves the placeholder alone until there is something to show', async () => {
    const { clock, surface, message } = setup();
    message.setBody('   ');
    message.setTools([]);
    await clock.advance(5_000);
    expect(surface.calls).toHaveLength(0);
    expect(clock.pendingTimers).toBe(0);
  });

  it('sends only the newest snapshot after an edit in flight: edits never pile up', async () => {
    const { clock, surface, message } = setup({ surface: { latency: () => 3_000 } });
    message.setBody('a');
    await clock.advance(0);
    for (let length = 2; length <= 60; length += 1) {
      message.setBody('a'.repeat(length));
      await clock.advance(50);
    }
    const refs = await clock.run(message.finish({ outcome: 'complete' }));
    expect(surface.maxInFlightPerMessage).toBe(1);
    // One edit in flight for 3 s while 59 snapshots arrived: the next write carries only the newest,
    // and the finish (called meanwhile) rides on it.
    expect(surface.calls.map((call) => call.text.length)).toEqual([1, 60]);
    expect(surface.calls[1]?.options?.final).toBe(true);
    expect(surface.texts()).toEqual(['a'.repeat(60)]);
    expect(refs).toHaveLength(1);
  });

  it('keeps the edit interval of one message', async () => {
    const { clock, surface, message, placeholder } = setup({ limits: { channelEditsPerWindow: undefined } });
    for (let step = 1; step <= 100; step += 1) {
      message.setBody(`word `.repeat(step));
      await clock.advance(97);
    }
    await clock.run(message.finish({ outcome: 'complete' }));
    // Every update keeps the interval; the final write is the next test's.
    const starts = writes(surface.calls, placeholder!.id).slice(0, -1).map((call) => call.startedAt);
    expect(starts.length).toBeGreaterThan(5);
    for (let index = 1; index < starts.length; index += 1) expect(starts[index]! - starts[index - 1]!).toBeGreaterThanOrEqual(1_000);
  });

  it('writes the final text at once, without waiting for the edit interval an update would keep', async () => {
    const { clock, surface, message, placeholder } = setup({ limits: { channelEditsPerWindow: undefined } });
    message.setBody('first words');
    await clock.advance(0);
    message.setBody('first words and more');
    // The update waits for the interval (1,000 ms) after the first write; the finish cuts in.
    await clock.advance(300);
    await clock.run(message.finish({ outcome: 'complete' }));
    const calls = writes(surface.calls, placeholder!.id);
    expect(calls.map((call) => [call.startedAt, call.text, call.options?.final])).toEqual([
      [0, 'first words', false],
      [300, 'first words and more', true],
    ]);
  });

  it('ends with the full text, the footer and the buttons the finish asks for', async () => {
    const { clock, surface, message } = setup();
    message.setBody('The answer is 42.');
    const refs = await clock.run(message.finish({ outcome: 'stopped', controls: { kind: 'feedback', jobId: 'job-1' } }));
    const last = surface.calls.at(-1)!;
    expect(last.text).toBe('The answer is 42.\n\n_⏹ stopped_');
    expect(last.options).toEqual({ controls: { kind: 'feedback', jobId: 'job-1' }, final: true });
    expect(refs).toEqual(message.refs);
  });

  it('shows that an answer without any text has none', async () => {
    const { clock, surface, message } = setup();
    await clock.run(message.finish({ outcome: 'complete' }));
    expect(surface.texts()).toEqual([NO_ANSWER_TEXT]);
  });

  it('rides out a 429 storm: slows down, re-sends the pending snapshot, loses no text', async () => {
    let storm = 12;
    const { clock, surface, message } = setup({
      surface: { latency: () => 100, failure: () => (storm-- > 0 ? { kind: 'rate-limited', retryAfterMs: 700 } : undefined) },
    });
    const text = 'Streaming through a storm. '.repeat(20);
    for (let length = 10; length <= text.length; length += 10) {
      message.setBody(text.slice(0, length));
      await clock.advance(120);
    }
    message.setBody(text);
    await clock.run(message.finish({ outcome: 'complete' }));
    expect(surface.calls.filter((call) => call.result === 'rate-limited')).toHaveLength(12);
    expect(surface.texts()).toEqual([text.trimEnd()]);
    // Each 429 pushed the next attempt past its retry-after, and the gaps widened beyond the interval.
    const gaps = surface.calls.slice(1).map((call, index) => call.startedAt - surface.calls[index]!.startedAt);
    expect(Math.max(...gaps)).toBeGreaterThan(1_000);
    for (const [index, call] of surface.calls.entries()) {
      if (call.result === 'rate-limited' && surface.calls[index + 1]) expect(surface.calls[index + 1]!.startedAt - call.endedAt!).toBeGreaterThanOrEqual(700);
    }
  });

  it('retries an intermediate edit that failed with the latest text at the next tick', async () => {
    let failures = 1;
    const { clock, surface, message, warnings } = setup({ surface: { failure: () => (failures-- > 0 ? { kind: 'failed' } : undefined) } });
    message.setBody('first');
    await clock.advance(0);
    message.setBody('first second');
    await clock.advance(2_000);
    expect(surface.calls.map((call) => [call.text, call.result])).toEqual([
      ['first', 'failed'],
      ['first second', 'ok'],
    ]);
    expect(warnings).toContain('write failed; retrying with the latest text');
  });

  it('rejects finish with a clear error after a bounded number of final attempts', async () => {
    const { clock, surface, message, placeholder } = setup({ surface: { failure: () => ({ kind: 'failed' }) }, message: { finalAttempts: 3 } });
    message.setBody('never lands');
    const finished = message.finish({ outcome: 'complete' });
    const error = await clock.run(finished).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RenderWriteError);
    expect((error as RenderWriteError).message).toMatch(/failed 3 times in a row/);
    expect((error as RenderWriteError).refs).toEqual([placeholder]);
    expect(surface.calls).toHaveLength(3);
    expect(clock.pendingTimers).toBe(0);
  });

  it('posts the rest anew when the message is gone, and reports the new message', async () => {
    let gone = 1;
    const created: [string, number][] = [];
    const { clock, surface, message } = setup({
      surface: { failure: (call) => (call.kind === 'edit' && gone-- > 0 ? { kind: 'gone' } : undefined) },
      message: { onMessageCreated: (ref, index) => void created.push([ref.id, index]) },
    });
    message.setBody('still here');
    const refs = await clock.run(message.finish({ outcome: 'complete' }));
    expect(surface.calls.map((call) => [call.kind, call.result])).toEqual([
      ['edit', 'gone'],
      ['create', 'ok'],
    ]);
    expect(surface.texts().at(-1)).toBe('still here');
    expect(refs).toEqual([{ id: created[0]![0], channelId: 'channel' }]);
    expect(created[0]![1]).toBe(0);
  });

  it('continues past the limit in new messages, finalizing full ones and moving Stop to the last', async () => {
    const created: number[] = [];
    const { clock, surface, message } = setup({
      limits: { maxChars: 200 },
      message: { onMessageCreated: (_ref, index) => void created.push(index) },
    });
    const text = Array.from({ length: 40 }, (_, index) => `Sentence number ${index} of a long answer.`).join(' ');
    for (let length = 20; length < text.length; length += 20) {
      message.setBody(text.slice(0, length));
      await clock.advance(400);
    }
    message.setBody(text);
    await clock.run(message.finish({ outcome: 'complete', controls: { kind: 'feedback', jobId: 'job-1' } }));
    const texts = surface.texts();
    expect(texts.length).toBeGreaterThan(4);
    expect(texts.join('')).toBe(text);
    expect(created).toEqual(texts.slice(1).map((_, index) => index + 1));
    for (const [index, id] of surface.created.entries()) {
      const calls = writes(surface.calls, id);
      const firstFinal = calls.findIndex((call) => call.options?.final);
      // Once a message is final its text never changes again.
      expect(new Set(calls.slice(firstFinal).map((call) => call.text)).size).toBe(1);
      const isLast = index === surface.created.length - 1;
      expect(calls.at(-1)?.options?.controls).toEqual(isLast ? { kind: 'feedback', jobId: 'job-1' } : { kind: 'none' });
    }
  });

  it('edits earlier messages back when a retry replaces the text, and marks the surplus ones', async () => {
    const { clock, surface, message } = setup({ limits: { maxChars: 120 } });
    const first = 'first attempt '.repeat(30).trim();
    message.setBody(first);
    await clock.advance(20_000);
    expect(surface.created.length).toBeGreaterThan(2);
    const second = 'A short regenerated answer.';
    message.setBody('');
    message.setBody(second);
    await clock.run(message.finish({ outcome: 'complete', retried: true }));
    const [head, ...rest] = surface.texts();
    expect(head).toBe(`${second}\n\n_↻ regenerated after an interrupted attempt_`);
    expect(rest.every((text) => text === SUPERSEDED_TEXT)).toBe(true);
  });

  it('edits the continuation messages of an earlier attempt instead of posting new ones', async () => {
    const clock = new ManualClock();
    const surface = new RecordingSurface({ clock, limits: DISCORD_LIKE });
    const placeholder = surface.placeholder('old part 1');
    const continuation = surface.placeholder('old part 2');
    const message = new ProgressiveMessage({ surface, pacer: new LocalWritePacer({ clock }), clock, placeholder, continuations: [continuation] });
    message.setBody('short now');
    const refs = await clock.run(message.finish({ outcome: 'complete' }));
    expect(surface.calls.every((call) => call.kind === 'edit')).toBe(true);
    expect(surface.shown.get(placeholder.id)?.text).toBe('short now');
    expect(surface.shown.get(continuation.id)?.text).toBe(SUPERSEDED_TEXT);
    expect(refs).toEqual([placeholder, continuation]);
  });

  it('shows tool progress and a notice under the text, and drops the notice at the end', async () => {
    const { clock, surface, message } = setup();
    message.setBody('Let me look that up.');
    message.setNotice('queued: waiting for the team’s model budget…');
    message.setTools([{ id: 't1', name: 'web_search', summary: 'ofox', state: 'running' }]);
    await clock.advance(0);
    expect(surface.calls[0]?.text).toBe('Let me look that up.\n\n⏳ **web_search** `ofox` — running…\n_queued: waiting for the team’s model budget…_');
    message.setNotice(undefined);
    message.setTools([{ id: 't1', name: 'web_search', summary: 'ofox', state: 'done', durationMs: 800 }]);
    await clock.run(message.finish({ outcome: 'complete' }));
    expect(surface.texts()).toEqual(['Let me look that up.\n\n✅ **web_search** `ofox` — done in 800 ms']);
  });

  it('hands tool statuses to a surface that shows them natively, not as text', async () => {
    const { clock, surface, message } = setup({ limits: { nativeToolStatus: true } });
    message.setBody('Looking.');
    message.setTools([{ id: 't1', name: 'web_search', summary: 'ofox', state: 'running' }]);
    await clock.advance(0);
    expect(surface.calls[0]?.text).toBe('Looking.');
    expect(surface.calls[0]?.options?.tools).toEqual([{ id: 't1', name: 'web_search', summary: 'ofox', state: 'running' }]);
    message.setTools([{ id: 't1', name: 'web_search', summary: 'ofox', state: 'done', durationMs: 5 }]);
    await clock.advance(1_000);
    expect(surface.calls[1]?.options?.tools?.[0]?.state).toBe('done');
  });

  it('closes a code block that is still streaming, so the snapshot renders as code', async () => {
    const { clock, surface, message } = setup();
    message.setBody('Here:\n```ts\nconst a = 1;');
    await clock.advance(0);
    expect(surface.calls[0]?.text).toBe('Here:\n```ts\nconst a = 1;\n```');
  });

  it('flushes the latest snapshot without finishing', async () => {
    const { clock, surface, message } = setup({ surface: { latency: () => 200 } });
    message.setBody('partial');
    await clock.advance(0);
    message.setNotice('⚠️ hit a snag; retrying…');
    await clock.run(message.flush());
    expect(surface.texts()).toEqual(['partial\n\n_⚠️ hit a snag; retrying…_']);
    expect(surface.calls.at(-1)?.options?.final).toBe(false);
  });

  it('stops at once when abandoned: no write, no timer left, finish rejects', async () => {
    const { clock, surface, message } = setup();
    message.setBody('one');
    await clock.advance(0);
    message.setBody('two');
    await clock.advance(10);
    expect(clock.pendingTimers).toBe(1);
    message.abandon();
    expect(clock.pendingTimers).toBe(0);
    await expect(message.finish({ outcome: 'complete' })).rejects.toThrow(/abandoned/);
    await clock.advance(10_000);
    expect(surface.calls).toHaveLength(1);
  });

  it('waits for the channel budget other answers used up before its first text', async () => {
    const clock = new ManualClock();
    const channelLog: SurfaceCall[] = [];
    const limits = { ...DISCORD_LIKE, channelEditsPerWindow: 2, channelWindowMs: 3_000 };
    const pacer = new LocalWritePacer({ clock });
    const busy = new RecordingSurface({ clock, limits, channelLog, idPrefix: 'busy' });
    const other = new ProgressiveMessage({ surface: busy, pacer, clock });
    other.setBody('one');
    await clock.advance(1_000);
    const busier = new RecordingSurface({ clock, limits, channelLog, idPrefix: 'busier' });
    const another = new ProgressiveMessage({ surface: busier, pacer, clock });
    another.setBody('two');
    await clock.advance(500);
    const late = new RecordingSurface({ clock, limits, channelLog, idPrefix: 'late' });
    const message = new ProgressiveMessage({ surface: late, pacer, clock });
    message.setBody('me too');
    await clock.advance(0);
    expect(late.calls).toHaveLength(0);
    await clock.advance(1_500);
    // The window is widened by the default 100 ms safety margin.
    expect(late.calls).toHaveLength(0);
    await clock.advance(100);
    expect(late.calls[0]).toMatchObject({ kind: 'create', startedAt: 3_100 });
  });

  it('slows its whole channel after a 429, not just itself', async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const limits = { ...DISCORD_LIKE };
    let once = 1;
    const failing = new RecordingSurface({ clock, limits, idPrefix: 'a', failure: (): Failure | undefined => (once-- > 0 ? { kind: 'rate-limited', retryAfterMs: 4_000 } : undefined) });
    const bystander = new RecordingSurface({ clock, limits, idPrefix: 'b' });
    const first = new ProgressiveMessage({ surface: failing, pacer, clock });
    first.setBody('a');
    await clock.advance(10);
    const second = new ProgressiveMessage({ surface: bystander, pacer, clock });
    second.setBody('b');
    await clock.advance(0);
    expect(bystander.calls).toHaveLength(0);
    await clock.advance(4_000);
    expect(bystander.calls[0]?.startedAt).toBe(4_000);
  });

  it('costs nothing while idle: no timer and no pacer call without something to send', async () => {
    const clock = new ManualClock();
    const surface = new RecordingSurface({ clock, limits: DISCORD_LIKE });
    const local = new LocalWritePacer({ clock });
    let reservations = 0;
    const pacer: WritePacer = {
      acquire: (request) => {
        reservations += 1;
        return local.acquire(request);
      },
      withdraw: (ticket, budgets) => local.withdraw(ticket, budgets),
      tryReserveNow: (budgets, options) => local.tryReserveNow(budgets, options),
      holdOff: (budgets, delayMs) => local.holdOff(budgets, delayMs),
    };
    const message = new ProgressiveMessage({ surface, pacer, clock, placeholder: surface.placeholder() });
    message.setBody('once');
    await clock.advance(60_000);
    expect(reservations).toBe(1);
    expect(clock.pendingTimers).toBe(0);
  });
});

