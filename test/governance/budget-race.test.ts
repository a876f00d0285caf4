import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetLedger, usdToNano, type LedgerLine } from '../../src/governance/index.ts';
import { deleteKeys, newTestPrefix } from '../helpers/redis.ts';
import { redisClient } from './support.ts';

let prefix: string;
const clients: Redis[] = [];

beforeEach(() => {
  prefix = newTestPrefix('budget-race');
});

afterEach(async () => {
  for (const client of clients.splice(0)) client.disconnect();
  await deleteKeys(prefix);
});

/** A worker's own connection and ledger, as each worker process has. */
function worker(): BudgetLedger {
  const redis = redisClient();
  clients.push(redis);
  return new BudgetLedger({ redis, prefix });
}

function userLines(ledger: BudgetLedger, dailyUsd: number): LedgerLine[] {
  return ledger.lines([{ kind: 'user', id: 'slack:T1:U1', limits: { usd: { day: usdToNano(dailyUsd) }, tokens: {} } }]);
}

describe('reserve-then-settle', () => {
  it('two workers racing for the last cent of a budget spend it once', async () => {
    const [first, second] = [worker(), worker()];
    // $0.99 of $1.00 already spent.
    const setup = await first.reserve(userLines(first, 1), usdToNano(0.99), 0);
    expect(setup.ok).toBe(true);
    const [a, b] = await Promise.all([first.reserve(userLines(first, 1), usdToNano(0.01), 10), second.reserve(userLines(second, 1), usdToNano(0.01), 10)]);
    expect([a.ok, b.ok].filter(Boolean)).toHaveLength(1);
    const loser = a.ok ? b : a;
    expect(loser).toMatchObject({ ok: false, shortfall: { unit: 'usd', spent: usdToNano(1), limit: usdToNano(1) } });
    expect((await first.spent(userLines(first, 1)))[0]).toEqual({ nano: usdToNano(1), tokens: 10 });
  });

  it('ten workers reserving $0.30 each from $1.00: exactly three get it, and nothing passes the limit', async () => {
    const workers = Array.from({ length: 10 }, () => worker());
    const results = await Promise.all(workers.map((ledger) => ledger.reserve(userLines(ledger, 1), usdToNano(0.3), 100)));
    expect(results.filter((result) => result.ok)).toHaveLength(3);
    const [day, month] = await workers[0]!.spent(userLines(workers[0]!, 1));
    expect(day).toEqual({ nano: usdToNano(0.9), tokens: 300 });
    expect(month).toEqual({ nano: usdToNano(0.9), tokens: 300 });
  });

  it('settling replaces a reservation by the real cost on every counter, and frees the rest', async () => {
    const ledger = worker();
    const lines = userLines(ledger, 1);
    const reserved = await ledger.reserve(lines, usdToNano(0.6), 2000);
    if (!reserved.ok) throw new Error('the reservation should fit');
    expect((await ledger.reserve(lines, usdToNano(0.6), 0)).ok).toBe(false);
    await ledger.settle(reserved.hold, usdToNano(0.15), 700);
    expect((await ledger.spent(lines))[0]).toEqual({ nano: usdToNano(0.15), tokens: 700 });
    expect((await ledger.reserve(lines, usdToNano(0.6), 0)).ok).toBe(true);
  });
});
