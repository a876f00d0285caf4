import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDiscordPorts, type DiscordPorts } from '../../adapters/discord/index.ts';
import { shardForGuild } from '../../adapters/discord/sharding.ts';
import { silentLogger } from '../../src/observability/index.ts';
import { FakeDiscord } from '../fakes/discord/index.ts';
import type { WireChannel, WireMessage } from '../fakes/discord/wire.ts';
import { reply } from '../fakes/ofox/index.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';
import { testRedisUrl } from '../helpers/redis.ts';

/**
 * Two gateway processes (`ofox-bot gateway`), one holding shard 0 and one shard 1 of two, and the
 * real worker role in this process, against a fake Discord that routes each guild's events to its
 * shard and direct messages to shard 0: every mention is answered exactly once, and a dropped shard
 * resumes.
 */

const mainScript = fileURLToPath(new URL('../../src/main.ts', import.meta.url));

let pipeline: Pipeline;
let ports: DiscordPorts | undefined;
let discord: FakeDiscord;
const processes: Array<{ name: string; child: ChildProcess; output: string }> = [];
/** #general of a guild on shard 0 and of a guild on shard 1. */
const channels: WireChannel[] = [];

async function until<T>(read: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; output:\n${processes.map((entry) => `--- ${entry.name}\n${entry.output.slice(-1500)}`).join('\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function launch(name: string, role: 'gateway', env: Record<string, string>): { name: string; child: ChildProcess; output: string } {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', mainScript, role], {
    cwd: mkdtempSync(join(tmpdir(), 'ofox-shards-')),
    env: {
      PATH: process.env.PATH,
      LOG_LEVEL: 'info',
      OFOX_API_KEY: pipeline.config.OFOX_API_KEY!,
      OFOX_BASE_URL: pipeline.fakeOfox.openaiBaseUrl,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: pipeline.prefix,
      SHUTDOWN_GRACE_MS: '1000',
      HEALTH_PORT: '0',
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const entry = { name, child, output: '' };
  child.stdout!.on('data', (chunk: Buffer) => (entry.output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (entry.output += chunk.toString()));
  processes.push(entry);
  return entry;
}

function answersTo(question: WireMessage): WireMessage[] {
  return discord.botMessagesIn(question.channel_id).filter((message) => message.message_reference?.message_id === question.id);
}

async function answeredOnce(question: WireMessage): Promise<WireMessage> {
  const answer = await until(() => answersTo(question).find((message) => message.content.startsWith('Answer from a shard.')), `the answer to ${question.content}`);
  // Let any duplicate (a second gateway or a redelivery) land before counting.
  await new Promise((resolve) => setTimeout(resolve, 500));
  expect(answersTo(question)).toHaveLength(1);
  return answer;
}

beforeAll(async () => {
  discord = await FakeDiscord.start({ heartbeatIntervalMs: 1_000 });
  // Guild ids are snowflakes: add guilds until both shards have one (a new millisecond flips the shard).
  for (const shard of [0, 1]) {
    const existing = shardForGuild(discord.guild.id, 2) === shard ? discord.channel : undefined;
    let channel = existing;
    while (!channel) {
      const added = discord.addGuild(`Shard ${shard} guild`);
      if (shardForGuild(added.guild.id, 2) === shard) channel = added.channel;
      else await new Promise((resolve) => setTimeout(resolve, 1));
    }
    channels.push(channel);
  }
  pipeline = await startPipeline({
    env: { DISCORD_TOKEN: discord.token, DISCORD_APPLICATION_ID: discord.applicationId, DISCORD_API_URL: discord.apiUrl },
    ports: (core) => [(ports = createDiscordPorts(core.config, silentLogger(), { redis: core.redis }))],
  });
  pipeline.fakeOfox.respond(() => reply('Answer from a shard.'));
  const gateways = [0, 1].map((shard) => launch(`gateway shard ${shard}`, 'gateway', { DISCORD_SHARD_COUNT: '2', DISCORD_SHARD_IDS: String(shard) }));
  for (const gateway of gateways) await until(() => gateway.output.includes('ofox-bot is running'), `${gateway.name} to start`, 80_000);
}, 120_000);

afterAll(async () => {
  for (const entry of processes) if (entry.child.exitCode === null) entry.child.kill('SIGKILL');
  await pipeline?.stop();
  await ports?.close();
  await discord?.stop();
});

describe('two gateway processes, one shard each', () => {
  it('each process identifies its own shard of two, with the shard count Discord routes by, one identify per 5 s', () => {
    expect(discord.gateway.identified.map((entry) => entry.shard).sort()).toEqual([
      [0, 2],
      [1, 2],
    ]);
    expect(discord.gateway.connectedShards().sort()).toEqual(['0/2', '1/2']);
    // The fake says max_concurrency 1: two processes still identify 5 s apart (spacing shared in Redis).
    const [first, second] = discord.gateway.identified.map((entry) => entry.at).sort((a, b) => a - b);
    expect(second! - first!).toBeGreaterThanOrEqual(4_900);
  });

  it('a mention in a guild of shard 0 and one in a guild of shard 1 are each answered exactly once', async () => {
    const first = discord.userSays({ content: 'hello shard zero', mentionBot: true, channelId: channels[0]!.id });
    const second = discord.userSays({ content: 'hello shard one', mentionBot: true, channelId: channels[1]!.id });
    await answeredOnce(first);
    await answeredOnce(second);
    expect(discord.gateway.deliveries.filter((entry) => entry.id === first.id || entry.id === second.id).map((entry) => entry.shard)).toEqual([0, 1]);
    expect(pipeline.fakeOfox.requests.filter((request) => JSON.stringify(request.body).includes('hello shard'))).toHaveLength(2);
  });

  it('a direct message arrives on shard 0 and is answered once', async () => {
    const question = discord.dm({ content: 'hello in private' });
    await answeredOnce(question);
    expect(discord.gateway.deliveries.filter((entry) => entry.id === question.id)).toEqual([{ type: 'MESSAGE_CREATE', id: question.id, shard: 0 }]);
  });

  it('a shard whose connection drops resumes its session and keeps answering', async () => {
    const resumesBefore = discord.gateway.received.filter((entry) => entry.op === 6).length;
    const identifiesBefore = discord.gateway.identified.length;
    discord.gateway.dropConnections(4000, 1);
    await until(() => discord.gateway.received.filter((entry) => entry.op === 6).length === resumesBefore + 1 && discord.gateway.connectedShards().length === 2, 'shard 1 to resume');
    expect(discord.gateway.identified).toHaveLength(identifiesBefore);
    const question = discord.userSays({ content: 'still there, shard one?', mentionBot: true, channelId: channels[1]!.id });
    await answeredOnce(question);
  });
});
