import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { reply, startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';
import { FakeSlack } from '../fakes/slack/index.ts';
import { FakeSocketMode } from '../fakes/slack/socket-mode.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { runCli, stackLines, type CliRun } from './support/run-cli.ts';

/**
 * The ten-minute path for Slack, end to end: `ofox-bot start` with SLACK_APP_TOKEN (no signing
 * secret, no public URL) runs the real Bolt SocketModeReceiver against the Socket Mode fake. A
 * mention is acked and answered through the pipeline; after a `disconnect` envelope the client
 * reconnects through a fresh `apps.connections.open`, and the next mention is answered once.
 */

vi.setConfig({ testTimeout: 120_000, hookTimeout: 90_000 });

const prefix = newTestPrefix('socket-mode');
let ofox: FakeOfox;
let slack: FakeSlack;
let socketMode: FakeSocketMode;
let output = '';
let bot: Promise<CliRun>;
let stop = false;

async function until<T>(read: () => T | undefined, what: string, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = read();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; bot output:\n${output.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  ofox = await startFakeOfox({ apiKey: 'socket-key' });
  ofox.respond(() => reply('Hello over Socket Mode.'));
  slack = await new FakeSlack().start();
  socketMode = await new FakeSocketMode(slack).start();
  bot = runCli(['start'], {
    env: {
      LOG_LEVEL: 'info',
      OFOX_API_KEY: 'socket-key',
      OFOX_BASE_URL: ofox.openaiBaseUrl,
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: prefix,
      WORKER_INSTANCES: '1',
      SHUTDOWN_GRACE_MS: '1000',
      SLACK_BOT_TOKEN: slack.botToken,
      SLACK_APP_TOKEN: socketMode.appToken,
      SLACK_API_URL: slack.apiUrl,
    },
    onOutput: (text) => (output = text),
    until: () => stop,
    timeoutMs: 200_000,
  });
  await until(() => output.includes('ofox-bot is running') && socketMode.open().length === 1, 'the bot to connect over Socket Mode');
});

afterAll(async () => {
  stop = true;
  await socketMode?.stop();
  const run = await Promise.race([bot, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 30_000))]);
  await slack?.stop();
  await ofox?.close();
  await deleteKeys(prefix);
  expect(stackLines(run?.output ?? '')).toEqual([]);
});

describe('Slack over Socket Mode', () => {
  it('acks a mention envelope and answers it in its thread', async () => {
    const mention = socketMode.appMention({ channel: 'C1', user: 'U1', text: '<@U0BOT> hello' });
    await mention.acked;
    expect(socketMode.acks.has(mention.envelopeId)).toBe(true);
    const answer = await until(() => slack.botReplies('C1', mention.ts).find((message) => message.streaming_state === 'completed'), 'the first answer');
    expect(answer.streamText ?? answer.text).toContain('Hello over Socket Mode.');
  });

  it('reconnects after a disconnect envelope and answers the next mention once', async () => {
    const opened = slack.callsTo('apps.connections.open').length;
    socketMode.requestReconnect();
    await until(() => socketMode.connections.length === 2 && socketMode.open().length === 1 && socketMode.open()[0] === socketMode.connections[1], 'the reconnect');
    expect(slack.callsTo('apps.connections.open')).toHaveLength(opened + 1);
    const mention = socketMode.appMention({ channel: 'C2', user: 'U1', text: '<@U0BOT> again' });
    await mention.acked;
    await until(() => slack.botReplies('C2', mention.ts).find((message) => message.streaming_state === 'completed'), 'the second answer');
    // Give a duplicate the time to show up, then count.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    expect(slack.botReplies('C2', mention.ts)).toHaveLength(1);
    expect(ofox.requests.filter((request) => JSON.stringify(request.body).includes('again'))).toHaveLength(1);
  });
});
