import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chooseRedis } from '../../src/cli/redis-choice.ts';
import { UserFacingError } from '../../src/cli/user-facing-error.ts';
import { startEmbeddedRedis } from '../../src/runtime/embedded-redis.ts';
import { reply, startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';
import { freePort } from '../helpers/free-port.ts';
import { runCli, stackLines } from './support/run-cli.ts';

/**
 * With no REDIS_URL and nothing on 127.0.0.1:6379, `start` and `ask` run a private redis-server:
 * append-only, noeviction, on a socket under the user's state directory, reused by the next run and
 * stopped with the bot. (This machine runs a Redis on 6379, so the "nothing answers there" case is
 * given a closed port as the local address, and the CLI runs use REDIS_URL=embedded.)
 */

vi.setConfig({ testTimeout: 120_000, hookTimeout: 60_000 });

async function answers(socket: string): Promise<boolean> {
  const client = new Redis(socket, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function completedJobs(stateHome: string): Promise<number> {
  const server = await startEmbeddedRedis({ stateDir: join(stateHome, 'ofox-bot'), pathEnv: process.env.PATH });
  const client = new Redis(server.url);
  try {
    return await client.zcard('{ofox}:chat:completed');
  } finally {
    client.disconnect();
    await server.stop();
  }
}

describe('choosing Redis', () => {
  it('starts a private redis-server for ask when REDIS_URL is unset and nothing answers locally', async () => {
    const stateHome = mkdtempSync(join(tmpdir(), 'ofox-state-'));
    const choice = await chooseRedis({ command: 'ask', rawUrl: undefined, env: { XDG_STATE_HOME: stateHome, PATH: process.env.PATH }, localUrl: `redis://127.0.0.1:${await freePort()}` });
    try {
      expect(choice.url).toBe(join(stateHome, 'ofox-bot', 'redis', 'redis.sock'));
      expect(choice.embedded?.owned).toBe(true);
      const client = new Redis(choice.url);
      const [, aof] = (await client.config('GET', 'appendonly')) as string[];
      const [, policy] = (await client.config('GET', 'maxmemory-policy')) as string[];
      client.disconnect();
      expect([aof, policy]).toEqual(['yes', 'noeviction']);
    } finally {
      await choice.embedded?.stop();
    }
    expect(await answers(choice.url)).toBe(false);
  });

  it('never starts one for a worker: it needs a Redis every process reaches', async () => {
    const closed = `redis://127.0.0.1:${await freePort()}`;
    const attempt = chooseRedis({ command: 'worker', rawUrl: undefined, env: { PATH: process.env.PATH }, localUrl: closed, attempts: 1 });
    await expect(attempt).rejects.toThrow(UserFacingError);
    await expect(attempt).rejects.toThrow(`Cannot reach Redis at REDIS_URL=${closed}`);
    await expect(attempt).rejects.toThrow('`worker` shares its queue with other processes, so it never starts a private Redis');
  });

  it('REDIS_URL set always wins, even when it is the only thing that answers', async () => {
    const choice = await chooseRedis({ command: 'start', rawUrl: process.env.TEST_REDIS_URL, env: {}, localUrl: `redis://127.0.0.1:${await freePort()}` });
    expect(choice).toEqual({ url: process.env.TEST_REDIS_URL });
  });
});

describe('ofox-bot ask on a private Redis', () => {
  let ofox: FakeOfox;
  const stateHome = mkdtempSync(join(tmpdir(), 'ofox-state-'));
  const socket = join(stateHome, 'ofox-bot', 'redis', 'redis.sock');
  beforeAll(async () => {
    ofox = await startFakeOfox({ apiKey: 'embedded-key' });
    ofox.respond(() => reply('From a private Redis.'));
  });
  afterAll(() => ofox?.close());

  const ask = () => runCli(['ask', 'hello'], { env: { OFOX_API_KEY: 'embedded-key', OFOX_BASE_URL: ofox.openaiBaseUrl, REDIS_URL: 'embedded', XDG_STATE_HOME: stateHome } });

  it('keeps its data across runs and stops with the bot', async () => {
    const first = await ask();
    expect(first.code).toBe(0);
    expect(first.stdout).toBe('From a private Redis.\n');
    expect(stackLines(first.output)).toEqual([]);
    expect(await answers(socket)).toBe(false);
    expect(await completedJobs(stateHome)).toBe(1);

    const second = await ask();
    expect(second.code).toBe(0);
    expect(await answers(socket)).toBe(false);
    expect(await completedJobs(stateHome)).toBe(2);
  });
});
