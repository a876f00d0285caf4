import { describe, expect, it } from 'vitest';
import { LocalWritePacer, ProgressiveMessage, type SurfaceLimits, type WriteBudget, type WritePacer } from '../../src/render/index.ts';
import { ManualClock } from './helpers/manual-clock.ts';
import { RecordingSurface, type SurfaceCall } from './helpers/recording-surface.ts';

// Two writes per second in the channel, and a short edit interval so the budget is what paces.
const TIGHT: SurfaceLimits = { maxChars: 2_000, minEditIntervalMs: 10, channelEditsPerWindow: 2, channelWindowMs: 1_000 };
const budget = (key: string, limit: number, windowMs: number): WriteBudget => ({ key, limit, windowMs, kind: 'window' });

function answer(clock: ManualClock, pacer: LocalWritePacer, channelLog: SurfaceCall[], name: string, limits: SurfaceLimits = TIGHT) {
  const surface = new RecordingSurface({ clock, limits, channelLog, idPrefix: `${name}-` });
  return { surface, message: new ProgressiveMessage({ surface, pacer, clock }) };
}

describe('priority between the writes of a channel', () => {
  it('lets a first text overtake the updates of an answer people can already read', async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const log: SurfaceCall[] = [];
    const reading = answer(clock, pacer, log, 'reading');
    reading.message.setBody('one');
    await clock.advance(0);
    // Its update waits: the update must leave the channel's last token for a first text.
    reading.message.setBody('one two');
    await clock.advance(100);
    const fresh = answer(clock, pacer, log, 'fresh');
    fresh.message.setBody('hello');
    await clock.advance(0);
    expect(log.map((call) => `${call.kind} ${call.text}@${call.startedAt}`)).toEqual(['create one@0', 'create hello@100']);
    await clock.advance(1_200);
    // The update went once both grants aged out of the window (1,000 ms plus the 100 ms margin):
    // it needs a token beyond its own, left for the next first text or final write.
    expect(log.slice(2).map((call) => `${call.text}@${call.startedAt}`)).toEqual(['one two@1200']);
  });

  it("sends an answer's final write before another answer's intermediate update", async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const log: SurfaceCall[] = [];
    const limits = { ...TIGHT, channelEditsPerWindow: 1 };
    const first = answer(clock, pacer, log, 'first', limits);
    const second = answer(clock, pacer, log, 'second', limits);
    first.message.setBody('a');
    await clock.advance(0);
    await clock.advance(1_200);
    second.message.setBody('b');
    await clock.advance(0);
    // Both show text now; the second answer asks for an update first, then the first one finishes.
    await clock.advance(1_200);
    second.message.setBody('b more');
    await clock.advance(50);
    const finished = first.message.finish({ outcome: 'complete' });
    await clock.advance(2_000);
    await clock.run(finished);
    const after = log.filter((call) => call.startedAt >= 2_400).map((call) => call.text);
    expect(after[0]).toBe('a');
    expect(log.find((call) => call.text === 'a' && call.options?.final)?.startedAt).toBeLessThan(log.find((call) => call.text === 'b more')?.startedAt ?? Infinity);
    await clock.run(second.message.finish({ outcome: 'complete' }));
  });

  it("keeps a token for an answer that has begun but has no text yet: another answer's update does not take it", async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const log: SurfaceCall[] = [];
    // Three writes a second: the first text, then an update would leave one token spare.
    const limits = { ...TIGHT, channelEditsPerWindow: 3 };
    const reading = answer(clock, pacer, log, 'reading', limits);
    reading.message.setBody('one');
    await clock.advance(0);
    // The second answer begins (its message exists, the model has not answered yet): it joins the line.
    const waiting = answer(clock, pacer, log, 'waiting', limits);
    await clock.advance(100);
    reading.message.setBody('one two');
    await clock.advance(100);
    waiting.message.setBody('hello');
    await clock.advance(0);
    // The update waited: the two tokens left were one for the joined first text and one spare.
    expect(log.map((call) => `${call.text}@${call.startedAt}`)).toEqual(['one@0', 'hello@200']);
    await clock.advance(1_200);
    expect(log.map((call) => `${call.text}@${call.startedAt}`)).toEqual(['one@0', 'hello@200', 'one two@1100']);
  });

  it('asks for its first text only once its place in line is taken, so no place is left behind', async () => {
    const clock = new ManualClock();
    const local = new LocalWritePacer({ clock });
    const calls: string[] = [];
    const pacer: WritePacer = {
      // A slow join (a round trip to Redis): the first text must not overtake it.
      join: async (request) => {
        await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 5));
        calls.push('join');
        await local.join(request);
      },
      acquire: async (request) => {
        calls.push(`acquire ${request.writeClass}`);
        return local.acquire(request);
      },
      withdraw: (ticket, budgets) => local.withdraw(ticket, budgets),
      tryReserveNow: (budgets, options) => local.tryReserveNow(budgets, options),
      holdOff: (budgets, delayMs) => local.holdOff(budgets, delayMs),
    };
    const limits = { ...TIGHT, channelEditsPerWindow: 3 };
    const surface = new RecordingSurface({ clock, limits, idPrefix: 'first-' });
    const message = new ProgressiveMessage({ surface, pacer, clock });
    message.setBody('hello');
    await clock.advance(10);
    expect(calls).toEqual(['join', 'acquire first-text']);
    expect(surface.texts()).toEqual(['hello']);
    // Nobody is left waiting in line: an update elsewhere finds two tokens, one to spend, one to spare.
    expect(await local.acquire({ budgets: [budget(surface.channelKey, 3, 1_000)], writeClass: 'update', ticket: 'other' })).toBe(0);
  });

  it('asks again as the final write at once when the answer finishes while an update is asking', async () => {
    const clock = new ManualClock();
    const local = new LocalWritePacer({ clock });
    const pacer: WritePacer = {
      // An update's ask takes 10 ms (a round trip) and is told to wait 2 s.
      acquire: async (request) => {
        if (request.writeClass !== 'update') return local.acquire(request);
        await new Promise((resolve) => clock.setTimeout(() => resolve(undefined), 10));
        return 2_000;
      },
      withdraw: (ticket, budgets) => local.withdraw(ticket, budgets),
      tryReserveNow: (budgets, options) => local.tryReserveNow(budgets, options),
      holdOff: (budgets, delayMs) => local.holdOff(budgets, delayMs),
    };
    const surface = new RecordingSurface({ clock, limits: TIGHT, idPrefix: 'a-' });
    const message = new ProgressiveMessage({ surface, pacer, clock });
    message.setBody('one');
    await clock.advance(0);
    message.setBody('one two');
    // The update asks at 10 ms (the edit interval); the answer finishes while it waits for the reply.
    await clock.advance(15);
    const finished = message.finish({ outcome: 'complete' });
    await clock.run(finished);
    expect(surface.calls.map((call) => `${call.text}@${call.startedAt}${call.options?.final ? ' final' : ''}`)).toEqual(['one@0', 'one two@20 final']);
  });

  it('starves nobody: a write that has waited longer than its handicap goes before a fresh first text', async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const budgets = [budget('busy', 1, 60_000)];
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'spent' })).toBe(0);
    const ask = (ticket: string, writeClass: 'final' | 'first-text') => pacer.acquire({ budgets, writeClass, ticket });
    // A final write waits, asking again as told; 15 s later (past its 10 s handicap) a first text comes.
    for (let second = 0; second < 15; second += 1) {
      expect(await ask('patient', 'final')).toBeGreaterThan(0);
      await clock.advance(1_000);
    }
    expect(await ask('fresh', 'first-text')).toBeGreaterThan(0);
    for (let second = 15; second < 61; second += 1) {
      await ask('patient', 'final');
      await ask('fresh', 'first-text');
      await clock.advance(1_000);
    }
    await clock.advance(200);
    // The token is back: the first text asks first, yet the older final write gets it.
    expect(await ask('fresh', 'first-text')).toBeGreaterThan(0);
    expect(await ask('patient', 'final')).toBe(0);
  });

  it('keeps a waiting line per budget and forgets a ticket whose holder stopped asking', async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const budgets = [budget('line', 1, 1_000)];
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'a' })).toBe(0);
    expect(await pacer.acquire({ budgets, writeClass: 'first-text', ticket: 'gone' })).toBeGreaterThan(0);
    await clock.advance(1_200);
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'b' })).toBeGreaterThan(0);
    // The first text's holder never came back: its lease ends and the line moves on.
    await clock.advance(10_000);
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'b' })).toBe(0);
  });
});

describe('tryReserveNow', () => {
  it('grants a placeholder only with tokens to spare and nobody waiting, per budget', async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const channel = budget('channel', 5, 5_000);
    const bot = budget('bot', 3, 1_000);
    expect(await pacer.tryReserveNow([channel, bot], { spare: [3, 0] })).toBe(true);
    expect(await pacer.tryReserveNow([channel, bot], { spare: [3, 0] })).toBe(true);
    // Three left in the channel: taking one would leave two, fewer than three to spare.
    expect(await pacer.tryReserveNow([channel, bot], { spare: [3, 0] })).toBe(false);
    expect(await pacer.tryReserveNow([channel, bot])).toBe(true);
    // The bot-wide budget is spent now.
    expect(await pacer.tryReserveNow([channel, bot])).toBe(false);
    // With the documented 5 per 5 s and five first texts to keep room for, never.
    expect(await pacer.tryReserveNow([budget('quiet', 5, 5_000)], { spare: 5 })).toBe(false);
  });

  it('never jumps the line of writes waiting for the budget', async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const budgets = [budget('queue', 2, 1_000)];
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'a' })).toBe(0);
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'b' })).toBe(0);
    expect(await pacer.acquire({ budgets, writeClass: 'first-text', ticket: 'c' })).toBeGreaterThan(0);
    await clock.advance(1_200);
    expect(await pacer.tryReserveNow(budgets)).toBe(false);
    expect(await pacer.acquire({ budgets, writeClass: 'first-text', ticket: 'c' })).toBe(0);
    expect(await pacer.tryReserveNow(budgets)).toBe(true);
  });
});

describe('the end of a long answer', () => {
  it('rewrites only the message whose text changed: full messages already final are left alone', async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const limits: SurfaceLimits = { maxChars: 200, minEditIntervalMs: 100, channelEditsPerWindow: 50, channelWindowMs: 1_000 };
    const surface = new RecordingSurface({ clock, limits });
    const message = new ProgressiveMessage({ surface, pacer, clock, controls: { kind: 'stop', jobId: 'j' } });
    const words = Array.from({ length: 90 }, (_, index) => `word${index}`);
    for (let count = 1; count <= words.length; count += 1) {
      message.setBody(words.slice(0, count).join(' '));
      await clock.advance(150);
    }
    await clock.advance(2_000);
    const before = surface.calls.length;
    const refs = await clock.run(message.finish({ outcome: 'complete', controls: { kind: 'feedback', jobId: 'j' } }));
    const atFinish = surface.calls.slice(before);
    expect(refs).toHaveLength(surface.created.length);
    expect(surface.created.length).toBeGreaterThan(2);
    // One write at the end, to the last message, carrying its whole text and the finish buttons.
    expect(atFinish).toHaveLength(1);
    expect(atFinish[0]).toMatchObject({ kind: 'edit', messageId: surface.created.at(-1), options: { controls: { kind: 'feedback', jobId: 'j' }, final: true } });
    expect(surface.texts().join(' ').replace(/\s+/g, ' ')).toBe(words.join(' '));
  });
});
