import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { grantedBudgets, sendingGranted, sendWithGrant } from '../../src/render/grant-scope.ts';
import { LocalWritePacer, RedisWritePacer, systemClock, type PermitRequest, type WriteBudget, type WritePacer } from '../../src/render/index.ts';
import { RecentGrants } from '../../src/render/recent-grants.ts';
import { STALE_GRANT_RETRY_MS } from '../../src/render/write-budget.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { ManualClock } from './helpers/manual-clock.ts';

/**
 * A grant whose request leaves late (queued in the platform client behind another request of its
 * route) has its tokens moved to the moment it leaves (`WritePacer.sendingNow`), so the pacer
 * counts it in the window the platform will.
 */

const windowBudget = (key: string, limit: number, windowMs: number): WriteBudget => ({ key, limit, windowMs, kind: 'window' });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

let redis: Redis;
let prefix = '';

beforeAll(() => {
  redis = new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 });
});
afterAll(() => redis.disconnect());
afterEach(async () => {
  await deleteKeys(prefix);
});

function redisPacer(name: string): RedisWritePacer {
  prefix = newTestPrefix(name);
  // Time stands still for the pacer's own clock, so a loaded machine's slow replies never make a
  // grant look late: only the `heldMs` a test passes does.
  return new RedisWritePacer({ redis, prefix, timeoutMs: 5_000, clock: { ...systemClock, now: () => 0 } });
}

/** The grant times a window budget counts, from its Redis state ("hold factor streak tokens updatedAt grant…"). */
async function logOf(pacer: RedisWritePacer, key: string): Promise<number[]> {
  const raw = await redis.get(pacer.keyFor(key));
  return (raw ?? '').split(' ').slice(5).map(Number);
}

describe('RedisWritePacer.sendingNow', () => {
  it("moves a held grant's tokens to the moment its request leaves, and leaves a promptly sent grant where it was", async () => {
    const pacer = redisPacer('grant-move');
    const budgets = [windowBudget('discord:held', 5, 5_000), windowBudget('discord:global', 45, 1_000)];
    const prompt: PermitRequest = { budgets, writeClass: 'first-text', ticket: 'prompt' };
    const held: PermitRequest = { budgets, writeClass: 'first-text', ticket: 'held' };
    expect(await pacer.acquire(prompt)).toBe(0);
    expect(await pacer.acquire(held)).toBe(0);
    const granted = await logOf(pacer, 'discord:held');
    expect(granted).toHaveLength(2);

    expect(await pacer.sendingNow(prompt, 0)).toBe(0);
    expect(await logOf(pacer, 'discord:held')).toEqual(granted);

    await sleep(200);
    const leaving = Date.now();
    expect(await pacer.sendingNow(held, 200)).toBe(0);
    for (const key of ['discord:held', 'discord:global']) {
      const log = await logOf(pacer, key);
      expect(log).toHaveLength(2);
      // One token still at the grants' time, the other moved to when the request left (Redis's clock and ours agree here).
      expect(log[0]).toBe(granted[0]);
      expect(log[1]! - leaving).toBeGreaterThanOrEqual(-5);
      expect(log[1]! - granted[1]!).toBeGreaterThanOrEqual(190);
    }
    // A grant is confirmed once: asked again, nothing moves.
    const after = await logOf(pacer, 'discord:held');
    expect(await pacer.sendingNow(held, 400)).toBe(0);
    expect(await logOf(pacer, 'discord:held')).toEqual(after);
  });

  it('takes a fresh token for a grant held past its window, or gives the tokens back when there is none', async () => {
    const pacer = redisPacer('grant-expired');
    // One write per 400 ms (500 ms with its margin).
    const budgets = [windowBudget('discord:short', 1, 400)];
    const early: PermitRequest = { budgets, writeClass: 'final', ticket: 'early' };
    expect(await pacer.acquire(early)).toBe(0);
    await sleep(550);
    // Its token left the window, and the window has room: a fresh one is taken now.
    expect(await pacer.sendingNow(early, 550)).toBe(0);
    expect(await logOf(pacer, 'discord:short')).toHaveLength(1);
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'other' })).toBeGreaterThan(0);
    await pacer.withdraw('other', budgets);

    await sleep(550);
    const late: PermitRequest = { budgets, writeClass: 'final', ticket: 'late' };
    expect(await pacer.acquire(late)).toBe(0);
    await sleep(550);
    // Someone else took the window's one token meanwhile: the late write must ask again.
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'meanwhile' })).toBe(0);
    expect(await pacer.sendingNow(late, 550)).toBe(STALE_GRANT_RETRY_MS);
    expect(await logOf(pacer, 'discord:short')).toHaveLength(1);
  });
});

describe('LocalWritePacer.sendingNow', () => {
  it("moves a held grant's token to when its request leaves, so the window counts it from then", async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const budgets = [windowBudget('discord:1', 2, 1_000)];
    expect(await pacer.acquire({ budgets, writeClass: 'first-text', ticket: 'a' })).toBe(0);
    const held: PermitRequest = { budgets, writeClass: 'first-text', ticket: 'b' };
    expect(await pacer.acquire(held)).toBe(0);
    await clock.advance(300);
    expect(await pacer.sendingNow(held, 300)).toBe(0);
    // Both grants were at 0 (their window, with its margin, ends at 1,100); the moved one counts until 1,400.
    await clock.advance(800);
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'c' })).toBe(0);
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'd' })).toBe(300);
  });

  it('leaves a grant sent within half its margin alone, and gives back a held-out one when the window is full', async () => {
    const clock = new ManualClock();
    const pacer = new LocalWritePacer({ clock });
    const budgets = [windowBudget('discord:2', 1, 200)];
    const prompt: PermitRequest = { budgets, writeClass: 'final', ticket: 'prompt' };
    expect(await pacer.acquire(prompt)).toBe(0);
    await clock.advance(40);
    expect(await pacer.sendingNow(prompt, 40)).toBe(0);
    // Still counted from 0: free again at 300.
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'x' })).toBe(260);
    await pacer.withdraw('x', budgets);

    await clock.advance(400);
    const late: PermitRequest = { budgets, writeClass: 'final', ticket: 'late' };
    expect(await pacer.acquire(late)).toBe(0);
    await clock.advance(350);
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'meanwhile' })).toBe(0);
    expect(await pacer.sendingNow(late, 350)).toBeGreaterThan(0);
    // Only the other write's token is counted: free again 300 ms after it.
    expect(await pacer.acquire({ budgets, writeClass: 'final', ticket: 'y' })).toBe(300);
  });
});

describe('grant scope', () => {
  /** A pacer that records what the scope asks of it; `sendingNow` answers from `moves`. */
  function scriptedPacer(moves: number[]): WritePacer & { calls: string[] } {
    const calls: string[] = [];
    return {
      calls,
      acquire: async (request) => {
        calls.push(`acquire ${request.ticket}`);
        return 0;
      },
      sendingNow: async (request, heldMs) => {
        calls.push(`sendingNow ${request.ticket} ${heldMs >= 0 ? 'held' : 'bad'}`);
        return moves.shift() ?? 0;
      },
      withdraw: async () => {},
      tryReserveNow: async () => true,
      holdOff: async () => {},
    };
  }

  it('hands the grant to the first request made inside it only', async () => {
    const pacer = scriptedPacer([]);
    const budgets = [windowBudget('discord:9', 5, 5_000)];
    expect(await sendingGranted()).toBeUndefined();
    const seen = await sendWithGrant({ pacer, request: { budgets, writeClass: 'update', ticket: 't' }, grantedAt: systemClock.now(), clock: systemClock }, async () => {
      const before = grantedBudgets();
      const first = await sendingGranted();
      const second = await sendingGranted();
      return { before, first, second, after: grantedBudgets() };
    });
    expect(seen).toEqual({ before: budgets, first: budgets, second: undefined, after: undefined });
    expect(pacer.calls).toEqual(['sendingNow t held']);
  });

  it('waits for a fresh grant when the pacer says the held one cannot go', async () => {
    const pacer = scriptedPacer([25]);
    const request: PermitRequest = { budgets: [windowBudget('discord:10', 5, 5_000)], writeClass: 'final', ticket: 'u' };
    const started = performance.now();
    await sendWithGrant({ pacer, request, grantedAt: systemClock.now(), clock: systemClock }, () => sendingGranted());
    expect(performance.now() - started).toBeGreaterThanOrEqual(20);
    expect(pacer.calls).toEqual(['sendingNow u held', 'acquire u']);
  });
});

describe('RecentGrants', () => {
  it('hands a grant back once, and forgets grants older than it keeps as new ones arrive', () => {
    const grants = new RecentGrants<{ at: number }>(50);
    grants.remember('a', { at: 0 }, 0);
    grants.remember('b', { at: 10 }, 10);
    grants.remember('c', { at: 20 }, 20);
    expect(grants.take('b')).toEqual({ at: 10 });
    expect(grants.take('b')).toBeUndefined();
    grants.remember('b', { at: 30 }, 30);
    // At 65, `a` (0) is past 50 ms; `c` (20) is not, and stops the sweep.
    grants.remember('d', { at: 65 }, 65);
    expect(grants.size).toBe(3);
    expect(grants.take('a')).toBeUndefined();
    expect(grants.take('c')).toEqual({ at: 20 });
  });
});
