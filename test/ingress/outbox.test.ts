import { describe, expect, it } from 'vitest';
import { IngressOutbox, RedisUnavailableError, isConnectionError, type GiveUpReason, type HeldRequest } from '../../src/ingress/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';

/**
 * The outbox on its own, with Redis's state as a switch the test flips: order, the age limit, the
 * size limit, renewed waiting indications, a request Redis fails under twice, and shutdown.
 */

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

class Request implements HeldRequest<string> {
  readonly logFields: Record<string, unknown>;
  readonly waiting;
  runs = 0;
  givenUp: GiveUpReason | undefined;
  shows = 0;
  readonly name: string;
  private readonly log: string[];
  private readonly failTimes: number;
  constructor(name: string, log: string[], failTimes = 0, waitingKey = 'channel', renewEveryMs?: number) {
    this.name = name;
    this.log = log;
    this.failTimes = failTimes;
    this.logFields = { name };
    this.waiting = { key: waitingKey, ...(renewEveryMs ? { renewEveryMs } : {}), show: async () => void (this.shows += 1) };
  }
  async run(): Promise<string> {
    this.runs += 1;
    if (this.runs <= this.failTimes) throw new RedisUnavailableError(new Error('Connection is closed.'));
    this.log.push(this.name);
    return `ran ${this.name}`;
  }
  async giveUp(reason: GiveUpReason): Promise<string> {
    this.givenUp = reason;
    return `gave up ${this.name}: ${reason}`;
  }
}

function outbox(state: { up: boolean }, options: { maxEntries?: number; maxAgeMs?: number } = {}): IngressOutbox {
  return new IngressOutbox({ available: () => state.up, log: silentLogger(), checkEveryMs: 10, ...options });
}

describe('the ingress outbox', () => {
  it('runs at once while Redis answers, and holds requests in order until it answers again', async () => {
    const state = { up: true };
    const box = outbox(state);
    const order: string[] = [];
    expect(await box.submit(new Request('now', order))).toBe('ran now');
    expect(box.size).toBe(0);

    state.up = false;
    const held = ['a', 'b', 'c'].map((name) => new Request(name, order));
    const results = held.map((request) => box.submit(request));
    await sleep(50);
    expect(box.size).toBe(3);
    expect(order).toEqual(['now']);
    state.up = true;
    // Arrives after Redis is back but behind the three waiting: it waits its turn.
    const late = box.submit(new Request('late', order));
    expect(await Promise.all([...results, late])).toEqual(['ran a', 'ran b', 'ran c', 'ran late']);
    expect(order).toEqual(['now', 'a', 'b', 'c', 'late']);
    expect(box.size).toBe(0);
  });

  it('waits again from the head when Redis goes away under a request', async () => {
    const state = { up: true };
    const box = outbox(state);
    const order: string[] = [];
    const flaky = new Request('flaky', order, 2);
    const result = box.submit(flaky);
    await sleep(5);
    // Redis failed under it once: it waits now, and what comes next lines up behind it.
    expect(box.size).toBe(1);
    const behind = box.submit(new Request('behind', order));
    expect(await Promise.all([result, behind])).toEqual(['ran flaky', 'ran behind']);
    expect(flaky.runs).toBe(3);
    expect(order).toEqual(['flaky', 'behind']);
  });

  it('gives up a request that waited past the age limit, and one that finds the outbox full at once', async () => {
    const state = { up: false };
    const box = outbox(state, { maxEntries: 1, maxAgeMs: 200 });
    const order: string[] = [];
    const started = Date.now();
    const waiting = box.submit(new Request('waits', order));
    expect(await box.submit(new Request('overflow', order))).toBe('gave up overflow: full');
    expect(Date.now() - started).toBeLessThan(100);
    expect(await waiting).toBe('gave up waits: expired');
    expect(Date.now() - started).toBeGreaterThanOrEqual(200);
    state.up = true;
    await sleep(50);
    expect(order).toEqual([]);
  });

  it('shows the waiting indication once per key and renews it while requests wait', async () => {
    const state = { up: false };
    const box = outbox(state);
    const first = new Request('first', [], 0, 'channel-1', 100);
    const second = new Request('second', [], 0, 'channel-1', 100);
    const elsewhere = new Request('elsewhere', [], 0, 'channel-2');
    const results = [first, second, elsewhere].map((request) => box.submit(request));
    await sleep(350);
    // channel-1: shown when held, renewed about every 100 ms; the second request shares it.
    expect(first.shows).toBeGreaterThanOrEqual(3);
    expect(first.shows).toBeLessThanOrEqual(4);
    expect(second.shows).toBe(0);
    // channel-2 has no renewal: shown once.
    expect(elsewhere.shows).toBe(1);
    state.up = true;
    expect(await Promise.all(results)).toEqual(['ran first', 'ran second', 'ran elsewhere']);
  });

  it('on close, drains what Redis lets through in time and gives up the rest; later requests are given up at once', async () => {
    const state = { up: false };
    const box = outbox(state);
    const order: string[] = [];
    const results = ['a', 'b'].map((name) => box.submit(new Request(name, order)));
    const closing = box.close(150);
    await sleep(20);
    expect(await box.submit(new Request('after', order))).toBe('gave up after: shutdown');
    expect(await closing).toEqual({ drained: 0, givenUp: 2 });
    expect(await Promise.all(results)).toEqual(['gave up a: shutdown', 'gave up b: shutdown']);

    const reopened = outbox(state);
    const drained = ['c', 'd'].map((name) => reopened.submit(new Request(name, order)));
    const closed = reopened.close(5_000);
    await sleep(30);
    state.up = true;
    expect(await closed).toEqual({ drained: 2, givenUp: 0 });
    expect(await Promise.all(drained)).toEqual(['ran c', 'ran d']);
    expect(order).toEqual(['c', 'd']);
  });

  it('recognises the errors ioredis raises when Redis cannot be reached', () => {
    const maxRetries = Object.assign(new Error('Reached the max retries per request limit (which is 1).'), { name: 'MaxRetriesPerRequestError' });
    expect(isConnectionError(maxRetries)).toBe(true);
    expect(isConnectionError(new Error("Stream isn't writeable and enableOfflineQueue options is false"))).toBe(true);
    expect(isConnectionError(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6379'), { code: 'ECONNREFUSED' }))).toBe(true);
    expect(isConnectionError(new Error('WRONGTYPE Operation against a key holding the wrong kind of value'))).toBe(false);
    expect(isConnectionError('Connection is closed.')).toBe(false);
  });
});
