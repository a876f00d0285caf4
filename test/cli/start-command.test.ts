import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeDiscord } from '../fakes/discord/index.ts';
import { reply, startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';
import { FakeSlack, SlackEventSender } from '../fakes/slack/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * `ofox-bot start` as a person runs it: the real CLI in its own process, configured only through
 * environment variables, answering on both fake platforms with the fake OfoxAI behind it.
 */

const mainScript = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const SIGNING_SECRET = 'start-command-signing-secret';
const prefix = newTestPrefix('start');

let ofox: FakeOfox;
let discord: FakeDiscord;
let slack: FakeSlack;
let bot: ChildProcess;
let output = '';
let slackPort: number;
let healthPort: number;

async function until<T>(read: () => T | undefined | Promise<T | undefined>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; bot output:\n${output.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  ofox = await startFakeOfox({ apiKey: 'start-key' });
  ofox.respond(() => reply('Hello from the whole bot.'));
  discord = await FakeDiscord.start();
  slack = await new FakeSlack().start();
  [slackPort, healthPort] = [await freePort(), await freePort()];
  bot = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', mainScript, 'start'], {
    cwd: mkdtempSync(join(tmpdir(), 'ofox-start-')),
    env: {
      PATH: process.env.PATH,
      LOG_LEVEL: 'info',
      OFOX_API_KEY: 'start-key',
      OFOX_BASE_URL: ofox.openaiBaseUrl,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: prefix,
      WORKER_INSTANCES: '1',
      SHUTDOWN_GRACE_MS: '2000',
      HEALTH_PORT: String(healthPort),
      PORT: String(slackPort),
      DISCORD_TOKEN: discord.token,
      DISCORD_APPLICATION_ID: discord.applicationId,
      DISCORD_API_URL: discord.apiUrl,
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SLACK_API_URL: slack.apiUrl,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  bot.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  bot.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  // A generous bound: the whole suite shares two cores, and the bot imports every library at start.
  await until(() => output.includes('ofox-bot is running'), 'the bot to start', 90_000);
}, 120_000);

afterAll(async () => {
  if (bot && bot.exitCode === null) bot.kill('SIGKILL');
  await ofox?.close();
  await discord?.stop();
  await slack?.stop();
  await deleteKeys(prefix);
});

describe('ofox-bot start', () => {
  it('reports ready on its health port', async () => {
    const ready = await fetch(`http://127.0.0.1:${healthPort}/readyz`);
    expect(ready.status).toBe(200);
  });

  it('answers a Discord mention', async () => {
    const question = discord.userSays({ content: 'hello bot', mentionBot: true });
    const answer = await until(
      () => discord.botMessagesIn(discord.channel.id).find((message) => message.message_reference?.message_id === question.id && message.content.includes('Hello from the whole bot.')),
      'the Discord answer',
    );
    expect(answer.content.startsWith('Hello from the whole bot.')).toBe(true);
  });

  it('answers a Slack mention in its thread', async () => {
    const sender = new SlackEventSender({ url: `http://127.0.0.1:${slackPort}/slack/events`, signingSecret: SIGNING_SECRET, slack });
    const { ts, status } = await sender.appMention({ channel: 'C1', user: 'U1', text: '<@UBOT> hello bot' });
    expect(status).toBe(200);
    const answer = await until(() => slack.botReplies('C1', ts).find((message) => message.streaming_state === 'completed'), 'the Slack answer');
    expect(answer.streamText ?? answer.text).toContain('Hello from the whole bot.');
  });

  it('logs no secret and stops cleanly on SIGTERM', async () => {
    const exited = new Promise<number | null>((resolve) => bot.once('exit', (code) => resolve(code)));
    bot.kill('SIGTERM');
    expect(await exited).toBe(0);
    for (const secret of ['start-key', discord.token, slack.botToken, SIGNING_SECRET]) expect(output).not.toContain(secret);
  });
});
