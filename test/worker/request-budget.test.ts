import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { RequestBudget } from '../../src/worker/request-budget.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

const prefix = newTestPrefix('budget');
const redis = new Redis(testRedisUrl());

afterAll(async () => {
  await deleteKeys(prefix);
  redis.disconnect();
});

function budgetAt(clock: { now: number }, key: string, requestsPerMinute: number, burst: number) {
  const slept: number[] = [];
  const budget = new RequestBudget({
    redis,
    prefix: `${prefix}:${key}`,
    requestsPerMinute,
    burst,
    now: () => clock.now,
    sleep: async (ms) => {
      slept.push(ms);
    },
  });
  return { budget, slept };
}

describe('the shared upstream request budget', () => {
  it('lets a burst through, then paces requests one interval apart across every worker', async () => {
    const clock = { now: 1_000_000 };
    // Two budgets on one key: two worker processes sharing the team's budget.
    const first = budgetAt(clock, 'shared', 60, 2);
    const second = budgetAt(clock, 'shared', 60, 2);
    expect(await first.budget.take()).toBe(0);
    expect(await second.budget.take()).toBe(0);
    expect(await first.budget.take()).toBe(1_000);
    expect(await second.budget.take()).toBe(2_000);
    clock.now += 10_000;
    expect(await first.budget.take()).toBe(0);
  });

  it('says the answer is queued when it must wait', async () => {
    const clock = { now: 2_000_000 };
    const { budget } = budgetAt(clock, 'queued', 60, 1);
    await budget.take();
    const notices: number[] = [];
    await budget.take(undefined, (waitMs) => notices.push(waitMs));
    expect(notices).toEqual([1_000]);
  });

  it("an exhausted window from the gateway's headers blocks everyone until it resets", async () => {
    const clock = { now: 3_000_000 };
    const { budget } = budgetAt(clock, 'headers', 600, 1);
    await budget.observe({ limitRequests: 600, remainingRequests: 0, resetRequestsMs: 5_000 });
    const wait = await budget.take();
    expect(wait).toBeGreaterThanOrEqual(5_000);
    expect(wait).toBeLessThan(5_200);
  });

  it('a lower limit from the gateway slows the pace', async () => {
    const clock = { now: 4_000_000 };
    const { budget } = budgetAt(clock, 'lower', 600, 1);
    await budget.observe({ limitRequests: 60, remainingRequests: 59 });
    await budget.take();
    expect(await budget.take()).toBe(1_000);
  });
});

describe('the shared upstream request budget on the gateway’s word', () => {
  it("a 429's Retry-After holds every worker back, and the Redis clock is used when none is injected", async () => {
    const budget = new RequestBudget({ redis, prefix: `${prefix}:retry-after`, requestsPerMinute: 6_000, burst: 10, sleep: async () => {} });
    expect(await budget.take()).toBe(0);
    await budget.observe({ retryAfterMs: 3_000 });
    const wait = await budget.take();
    expect(wait).toBeGreaterThan(2_800);
    expect(wait).toBeLessThanOrEqual(3_000);
  });
});
