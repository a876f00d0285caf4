import { describe, expect, it } from 'vitest';
import { LocalWritePacer, SurfaceRateLimitedError, type WriteBudget } from '../../src/render/index.ts';
import { PacedWriteError, pacedWrite, writeIfRoom } from '../../src/render/paced-write.ts';
import { ManualClock } from './helpers/manual-clock.ts';
import { RecordingPacer } from './helpers/recording-pacer.ts';

/** The helper every write outside the renderer goes through, in virtual time against the real local pacer. */

const channel: WriteBudget = { key: 'test:channel', limit: 1, windowMs: 1_000, kind: 'window' };
const global: WriteBudget = { key: 'test:global', limit: 50, windowMs: 1_000, kind: 'window' };

/** The local pacer on the test's clock, with every ask, hold-off and withdrawal written down. */
const recordingPacer = (clock: ManualClock) => new RecordingPacer(new LocalWritePacer({ clock }));

describe('pacedWrite', () => {
  it('waits for a token of the channel, and goes before the updates already waiting there', async () => {
    const clock = new ManualClock();
    const pacer = recordingPacer(clock);
    // An answer took the channel's one token, and its next update waits in line.
    expect(await pacer.acquire({ budgets: [channel], writeClass: 'first-text', ticket: 'answer' })).toBe(0);
    expect(await pacer.acquire({ budgets: [channel], writeClass: 'update', ticket: 'answer' })).toBeGreaterThan(0);
    await clock.advance(50);
    const calls: number[] = [];
    const prompt = pacedWrite({ pacer, budgets: [channel], writeClass: 'first-text', what: 'the approval prompt', clock }, async () => {
      calls.push(clock.now());
      return 'posted';
    });
    await expect(clock.run(prompt)).resolves.toBe('posted');
    // The window is 1,000 ms plus the pacer's 100 ms margin; the prompt took its first token, though the update asked first.
    expect(calls).toEqual([1_100]);
    expect(await pacer.acquire({ budgets: [channel], writeClass: 'update', ticket: 'answer' })).toBeGreaterThan(0);
  });

  it('holds the budgets off for the Retry-After of a 429 and tries again with the same place in line', async () => {
    const clock = new ManualClock();
    const pacer = recordingPacer(clock);
    const calls: number[] = [];
    const write = pacedWrite({ pacer, budgets: [channel, global], writeClass: 'final', what: 'the approval outcome', clock }, async () => {
      calls.push(clock.now());
      if (calls.length === 1) throw new SurfaceRateLimitedError(700, 'rate limited', ['test:channel']);
      return 'edited';
    });
    await expect(clock.run(write)).resolves.toBe('edited');
    // Only the budget the platform named is held off, and nothing is sent before it reopens.
    expect(pacer.holdOffs).toEqual(['test:channel 700']);
    expect(calls).toEqual([0, 1_100]);
  });

  it('fails readably after a bounded number of 429s, each held off first', async () => {
    const clock = new ManualClock();
    const pacer = recordingPacer(clock);
    let calls = 0;
    const write = pacedWrite({ pacer, budgets: [channel], writeClass: 'final', what: 'the approval outcome', rateLimitRetries: 2, clock }, async () => {
      calls += 1;
      throw new SurfaceRateLimitedError(300);
    });
    const error = await clock.run(write).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(PacedWriteError);
    expect((error as Error).message).toBe('the approval outcome could not be sent: the platform still said "too many requests" after 2 retries');
    expect((error as Error).cause).toBeInstanceOf(SurfaceRateLimitedError);
    expect(calls).toBe(3);
    expect(pacer.holdOffs).toEqual(['test:channel 300', 'test:channel 300', 'test:channel 300']);
  });

  it('gives up waiting after maxWaitMs, leaves the line, and never sends', async () => {
    const clock = new ManualClock();
    const pacer = recordingPacer(clock);
    await pacer.holdOff([channel], 60_000);
    let calls = 0;
    const write = pacedWrite({ pacer, budgets: [channel], writeClass: 'first-text', what: 'the approval prompt', maxWaitMs: 5_000, clock }, async () => {
      calls += 1;
    });
    const error = await clock.run(write).catch((failure: unknown) => failure);
    expect(error).toBeInstanceOf(PacedWriteError);
    expect((error as Error).message).toBe("the approval prompt could not be sent: the platform's rate limits left no room for 5 s");
    expect(clock.now()).toBe(5_000);
    expect(calls).toBe(0);
    expect(pacer.withdrawals).toEqual(['test:channel']);
  });

  it('passes other failures through at once, without retrying', async () => {
    const clock = new ManualClock();
    const pacer = recordingPacer(clock);
    let calls = 0;
    const write = pacedWrite({ pacer, budgets: [channel], writeClass: 'final', what: 'the file', clock }, async () => {
      calls += 1;
      throw new Error('Missing Permissions');
    });
    await expect(clock.run(write)).rejects.toThrow('Missing Permissions');
    expect(calls).toBe(1);
    expect(pacer.holdOffs).toEqual([]);
  });

  it('holds off the budget the caller names for a 429 outside the write’s own (a bot-wide limit)', async () => {
    const clock = new ManualClock();
    const pacer = recordingPacer(clock);
    let calls = 0;
    const write = pacedWrite(
      { pacer, budgets: [channel], writeClass: 'final', what: 'the file', clock, refusedBudgets: (error) => (error.message === 'global' ? [global] : undefined) },
      async () => {
        calls += 1;
        if (calls === 1) throw new SurfaceRateLimitedError(250, 'global');
      },
    );
    await clock.run(write);
    expect(pacer.holdOffs).toEqual(['test:global 250']);
    expect(calls).toBe(2);
  });

  it('stops waiting when its signal fires, leaving the line', async () => {
    const clock = new ManualClock();
    const pacer = recordingPacer(clock);
    await pacer.holdOff([channel], 10_000);
    const controller = new AbortController();
    const write = pacedWrite({ pacer, budgets: [channel], writeClass: 'first-text', what: 'the approval prompt', clock, signal: controller.signal }, async () => 'sent');
    write.catch(() => {});
    await clock.advance(500);
    controller.abort(new Error('the answer was stopped'));
    await expect(write).rejects.toThrow('the answer was stopped');
    expect(pacer.withdrawals).toEqual(['test:channel']);
  });

  it('without a pacer, writes at once and waits out a 429 itself', async () => {
    const clock = new ManualClock();
    const calls: number[] = [];
    const write = pacedWrite({ pacer: undefined, budgets: [channel], writeClass: 'final', what: 'the file', clock }, async () => {
      calls.push(clock.now());
      if (calls.length === 1) throw new SurfaceRateLimitedError(400);
    });
    await clock.run(write);
    expect(calls).toEqual([0, 400]);
  });
});

describe('writeIfRoom', () => {
  it('writes at once while the budget has room, and leaves the write out (without waiting) when it has none', async () => {
    const clock = new ManualClock();
    const pacer = recordingPacer(clock);
    const calls: number[] = [];
    const write = async () => {
      calls.push(clock.now());
    };
    expect(await writeIfRoom({ pacer, budgets: [channel] }, write)).toBe(true);
    // The channel's one token is spent: the next acknowledgment is left out, not queued.
    expect(await writeIfRoom({ pacer, budgets: [channel] }, write)).toBe(false);
    expect(calls).toEqual([0]);
    expect(pacer.reserves).toEqual(['test:channel granted', 'test:channel refused']);
    expect(clock.pendingTimers).toBe(0);
  });
});
