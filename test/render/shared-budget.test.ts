import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalChannelPacer, RedisChannelPacer, type ChannelBudget, type ChannelPacer } from '../../src/render/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

const prefix = newTestPrefix('shared-budget');
const connections: Redis[] = [];
function redisPacer(): RedisChannelPacer {
  const redis = new Redis(testRedisUrl());
  connections.push(redis);
  return new RedisChannelPacer({ redis, prefix });
}

afterAll(async () => {
  for (const connection of connections) connection.disconnect();
  await deleteKeys(prefix);
});

// Roomy channels, a tight bot-wide limit: only the shared scope can make anyone wait.
const budget = (key: string): ChannelBudget => ({ editsPerWindow: 10, windowMs: 1_000, shared: { key, editsPerWindow: 3, windowMs: 1_000 } });

async function burst(pacers: ChannelPacer[], sharedKey: string): Promise<number[]> {
  const waits: number[] = [];
  for (let index = 0; index < 6; index += 1) {
    waits.push(await pacers[index % pacers.length]!.reserve(`channel-${index}`, budget(sharedKey)));
  }
  return waits;
}

describe('a bot-wide budget shared by every channel', () => {
  it('makes writes in different channels wait once the bot as a whole is at its limit (one process)', async () => {
    const waits = await burst([new LocalChannelPacer()], 'local');
    // Slots are whole milliseconds, so an immediate slot may sit under a millisecond ahead.
    expect(waits.slice(0, 3).every((wait) => wait < 2)).toBe(true);
    // Six writes in six channels at a bot limit of three a second: the second three wait about a second.
    for (const wait of waits.slice(3)) expect(wait).toBeGreaterThanOrEqual(900);
  });

  it('holds across worker processes through Redis', async () => {
    const waits = await burst([redisPacer(), redisPacer(), redisPacer()], 'redis');
    expect(waits.slice(0, 3).every((wait) => wait < 50)).toBe(true);
    for (const wait of waits.slice(3)) expect(wait).toBeGreaterThanOrEqual(900);
  });

  it('leaves channels without a shared scope as they were', async () => {
    const pacer = redisPacer();
    const waits: number[] = [];
    for (let index = 0; index < 6; index += 1) waits.push(await pacer.reserve(`plain-${index}`, { editsPerWindow: 10, windowMs: 1_000 }));
    expect(waits.every((wait) => wait < 50)).toBe(true);
  });
});
