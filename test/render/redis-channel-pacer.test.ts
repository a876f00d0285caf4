import { createServer, type Server, type Socket } from 'node:net';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProgressiveMessage, RedisChannelPacer, systemClock, type RenderLog, type SurfaceLimits } from '../../src/render/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { busiestWindow, RecordingSurface, type SurfaceCall } from './helpers/recording-surface.ts';

/** Three ioredis connections: three worker processes as far as Redis can tell. */
const clients: Redis[] = [];
let prefix = '';

beforeAll(() => {
  for (let index = 0; index < 3; index += 1) clients.push(new Redis(testRedisUrl(), { maxRetriesPerRequest: 1 }));
});

afterAll(() => {
  for (const client of clients) client.disconnect();
});

afterEach(async () => {
  await deleteKeys(prefix);
});

function pacers(name: string, log?: RenderLog): RedisChannelPacer[] {
  prefix = newTestPrefix(name);
  return clients.map((redis) => new RedisChannelPacer({ redis, prefix, log }));
}

describe('RedisChannelPacer', () => {
  it('hands out one channel budget across three processes, first come first served', async () => {
    const [a, b, c] = pacers('pace-share');
    const budget = { editsPerWindow: 5, windowMs: 1_000 };
    const waits: number[] = [];
    for (let round = 0; round < 5; round += 1) {
      waits.push(...(await Promise.all([a!, b!, c!].map((pacer) => pacer.reserve('discord:42', budget)))));
    }
    waits.sort((x, y) => x - y);
    // A quiet channel answers at once: the first five go now.
    expect(waits.slice(0, 5)).toEqual([0, 0, 0, 0, 0]);
    // Then one slot per 200 ms (five per second, evenly), so no second holds more than five.
    for (let index = 5; index < waits.length; index += 1) expect(waits[index]! - waits[index - 1]!).toBeGreaterThanOrEqual(index === 5 ? 0 : 190);
    expect(waits[5]).toBeGreaterThan(900);
    expect(waits.at(-1)).toBeLessThan(1_000 + 9 * 200 + 100);
    // Another channel has its own budget.
    expect(await a!.reserve('discord:43', budget)).toBe(0);
  });

  it('keeps its state under the prefix, expiring once it can no longer delay anyone', async () => {
    const [pacer] = pacers('pace-expiry');
    await pacer!.reserve('slack:T1:C1', { editsPerWindow: 2, windowMs: 3_000 });
    const key = pacer!.keyFor('slack:T1:C1');
    expect(key).toBe(`${prefix}:pace:slack:T1:C1`);
    const ttl = await clients[0]!.pttl(key);
    expect(ttl).toBeGreaterThan(0);
    expect(ttl).toBeLessThanOrEqual(3_001);
  });

  it('holds the whole channel off after a 429 seen by any process', async () => {
    const [a, b] = pacers('pace-hold');
    const budget = { editsPerWindow: 5, windowMs: 1_000 };
    await a!.holdOff('discord:7', 2_000, budget);
    const wait = await b!.reserve('discord:7', budget);
    expect(wait).toBeGreaterThan(1_500);
    expect(wait).toBeLessThanOrEqual(2_000);
  });

  it('paces locally when Redis refuses connections, and says so once', async () => {
    const warnings: string[] = [];
    const log: RenderLog = { warn: (_details, message) => warnings.push(message), info: () => {} };
    const redis = new Redis('redis://127.0.0.1:1', { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
    redis.on('error', () => {});
    prefix = newTestPrefix('pace-down');
    const pacer = new RedisChannelPacer({ redis, prefix, log, retryRedisAfterMs: 0 });
    const budget = { editsPerWindow: 2, windowMs: 10_000 };
    const waits = [];
    for (let index = 0; index < 4; index += 1) waits.push(await pacer.reserve('discord:1', budget));
    // Local slots are whole milliseconds: "now" may be a fraction of one away.
    expect(waits[0]).toBeLessThan(1);
    expect(waits[1]).toBeLessThan(1);
    expect(waits[2]).toBeGreaterThan(5_000);
    expect(warnings).toEqual(['channel pacing falls back to this process: Redis is unavailable']);
    redis.disconnect();
  });

  it('paces locally when Redis hangs, after a short timeout rather than stalling', async () => {
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => void sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    const redis = new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1 });
    redis.on('error', () => {});
    prefix = newTestPrefix('pace-hang');
    const pacer = new RedisChannelPacer({ redis, prefix, timeoutMs: 100 });
    const started = performance.now();
    expect(await pacer.reserve('discord:1', { editsPerWindow: 5, windowMs: 1_000 })).toBeLessThan(1);
    // Generous bound: the point is "about the timeout", not "hung until Redis answers".
    expect(performance.now() - started).toBeLessThan(5_000);
    redis.disconnect();
    for (const socket of sockets) socket.destroy();
    silent.close();
  });

  it('keeps five answers streaming in one channel from three workers inside the limit, taking fair turns', async () => {
    const shared = pacers('pace-answers');
    const limits: SurfaceLimits = { maxChars: 2_000, minEditIntervalMs: 50, channelEditsPerWindow: 4, channelWindowMs: 1_000 };
    const channelLog: SurfaceCall[] = [];
    const answers = Array.from({ length: 5 }, (_, index) => {
      const surface = new RecordingSurface({ clock: systemClock, limits, channelKey: 'discord:shared', channelLog, idPrefix: `w${index % 3}-a${index}-`, latency: () => 0 });
      return { surface, message: new ProgressiveMessage({ surface, pacer: shared[index % 3]!, placeholder: surface.placeholder() }) };
    });
    const streamForMs = 3_500;
    const started = performance.now();
    let words = 0;
    while (performance.now() - started < streamForMs) {
      words += 1;
      for (const [index, answer] of answers.entries()) answer.message.setBody(`answer ${index}: ${'word '.repeat(words)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const streamed = answers.map((answer) => answer.surface.calls.length);
    await Promise.all(answers.map((answer) => answer.message.finish({ outcome: 'complete' })));

    // Slots are exact on Redis's clock; timers may fire a little late, so allow some jitter.
    expect(busiestWindow(channelLog, 1_000 - 40)).toBeLessThanOrEqual(4);
    // Fair: more answers than slots, and each holds one reservation at a time in a first-come
    // queue of evenly spaced slots, so they take turns: shares differ by one turn at most, and
    // nobody waits longer than the opening burst plus a window (no starvation).
    expect(Math.max(...streamed) - Math.min(...streamed)).toBeLessThanOrEqual(1);
    for (const answer of answers) {
      const starts = answer.surface.calls.map((call) => call.startedAt).filter((at) => at < started + streamForMs);
      const gaps = starts.slice(1).map((at, index) => at - starts[index]!);
      // Two windows, each widened by the default 100 ms safety margin, plus scheduling slack.
      expect(Math.max(...gaps)).toBeLessThan(2 * (1_000 + 100) + 150);
    }
    for (const [index, answer] of answers.entries()) expect(answer.surface.texts()).toEqual([`answer ${index}: ${'word '.repeat(words)}`.trimEnd()]);
  });
});
