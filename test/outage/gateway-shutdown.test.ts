import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENQUEUE_FAILED_TEXT } from '../../adapters/discord/formatting.ts';
import { ChatProducer } from '../../src/queue/producer.ts';
import { FakeDiscord } from '../fakes/discord/index.ts';
import { newTestPrefix } from '../helpers/redis.ts';
import { RestartableRedis } from './support/restartable-redis.ts';

/**
 * `ofox-bot gateway` in its own process, SIGTERMed while mentions wait in its outbox for a Redis
 * that is down (a private redis-server): they are drained when Redis comes back within the drain
 * time, and otherwise each is answered with the readable failure before the process exits.
 */

const mainScript = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

let redis: RestartableRedis;
let discord: FakeDiscord;
let gateway: ChildProcess | undefined;
let output = '';
let prefix: string;

beforeAll(async () => {
  redis = await RestartableRedis.start();
});

afterAll(async () => {
  await redis.stop();
});

afterEach(async () => {
  if (gateway && gateway.exitCode === null && gateway.signalCode === null) gateway.kill('SIGKILL');
  gateway = undefined;
  await discord?.stop();
  await redis.up();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; gateway output:\n${output.slice(-3000)}`);
    await sleep(25);
  }
}

async function startGateway(drainMs: number): Promise<ChildProcess> {
  discord = await FakeDiscord.start();
  prefix = newTestPrefix('outage-shutdown');
  output = '';
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', mainScript, 'gateway'], {
    cwd: mkdtempSync(join(tmpdir(), 'ofox-gateway-')),
    env: {
      PATH: process.env.PATH,
      LOG_LEVEL: 'info',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: prefix,
      HEALTH_PORT: '0',
      INGRESS_OUTBOX_DRAIN_MS: String(drainMs),
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  gateway = child;
  await until(() => output.includes('ofox-bot is running'), 'the gateway to start');
  return child;
}

function exitOf(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null) return Promise.resolve(child.exitCode);
  return new Promise((resolve) => child.once('exit', (code) => resolve(code)));
}

/** Two mentions that arrive while Redis is down, once the gateway shows it is waiting (typing). */
async function mentionsDuringOutage(): Promise<string[]> {
  await redis.down();
  await sleep(300);
  const first = discord.userSays({ content: 'first question', mentionBot: true });
  const second = discord.userSays({ content: 'second question', mentionBot: true, author: discord.bob });
  await until(() => discord.requestsTo('POST', /\/typing$/).length >= 1, 'typing while the mentions wait');
  await sleep(300);
  expect(discord.botMessagesIn(discord.channel.id)).toHaveLength(0);
  return [first.id, second.id];
}

function logLines(): Array<Record<string, unknown>> {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

async function queuedJobIds(): Promise<string[]> {
  const connection = new Redis(redis.url, { maxRetriesPerRequest: 1 });
  const producer = new ChatProducer({ connection, prefix });
  try {
    const jobs = await producer.queue.getJobs(['waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized']);
    return jobs.map((job) => job.id ?? '').sort();
  } finally {
    await producer.close();
    connection.disconnect();
  }
}

describe('gateway SIGTERM with requests waiting for Redis', () => {
  it('answers each with the readable failure before exiting when Redis stays down', async () => {
    const child = await startGateway(1_000);
    const questions = await mentionsDuringOutage();

    child.kill('SIGTERM');
    expect(await exitOf(child)).toBe(0);

    const answers = discord.botMessagesIn(discord.channel.id);
    expect(answers.map((message) => message.content)).toEqual([ENQUEUE_FAILED_TEXT, ENQUEUE_FAILED_TEXT]);
    const givenUp = logLines().filter((line) => line.reason === 'shutdown');
    expect(givenUp.map((line) => line.eventId).sort()).toEqual([...questions].sort());

    await redis.up();
    expect(await queuedJobIds()).toEqual([]);
  }, 90_000);

  it('drains them when Redis comes back within the drain time, then exits', async () => {
    const child = await startGateway(20_000);
    const questions = await mentionsDuringOutage();

    child.kill('SIGTERM');
    await sleep(500);
    expect(child.exitCode).toBe(null);
    await redis.up();
    expect(await exitOf(child)).toBe(0);

    // Discord's 5 writes per 5 s are kept for the answers' first texts: the gateway posts no placeholder
    // (typing acknowledges), and each request is queued without one.
    expect(discord.botMessagesIn(discord.channel.id)).toEqual([]);
    expect(await queuedJobIds()).toEqual(questions.map((id) => `discord-${id}`).sort());
    expect(logLines().filter((line) => line.reason === 'shutdown')).toEqual([]);
  }, 90_000);
});
