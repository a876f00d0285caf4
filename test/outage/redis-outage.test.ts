import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ENQUEUE_FAILED_TEXT } from '../../adapters/discord/formatting.ts';
import { RedisAnsweredThreads, RedisStreamStateStore, createSlackPorts, startSlackIngress, type SlackIngress } from '../../adapters/slack/index.ts';
import type { IngressOutbox } from '../../src/ingress/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import { startDiscordStack, type DiscordStack } from '../discord/support/discord-stack.ts';
import type { FakeDiscord, WireMessage } from '../fakes/discord/index.ts';
import { reply } from '../fakes/ofox/index.ts';
import { FakeSlack, SlackEventSender, visibleText } from '../fakes/slack/index.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';
import { RestartableRedis } from './support/restartable-redis.ts';

/**
 * Redis killed and started again under a running bot: real discord.js against the fake Discord (or
 * Bolt against the fake Slack), the real core and workers, a private redis-server (never the
 * shared one). Nothing the gateway accepted is lost: it waits in the outbox, or Slack redelivers it.
 */

let redis: RestartableRedis;
let stack: DiscordStack | undefined;

beforeAll(async () => {
  redis = await RestartableRedis.start();
});

afterEach(async () => {
  await redis.up();
  await stack?.stop();
  stack = undefined;
});

afterAll(async () => {
  await redis.stop();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

async function discordStack(env: Record<string, string> = {}): Promise<DiscordStack> {
  // Placeholders paced as the CLI paces them: after the outage, the answers' first writes and the
  // placeholders share the channel's 5 writes per 5 s (unpaced placeholders would overrun it).
  stack = await startDiscordStack({ env: { REDIS_URL: redis.url, ...env }, pacedPlaceholders: true });
  // The model is sent `name: text`, so each answer names whose question it answers.
  stack.pipeline.fakeOfox.respond((request) => reply(`Answer to: ${request.lastUserText ?? ''}`));
  return stack;
}

function outboxOf(pipeline: Pipeline): IngressOutbox {
  const outbox = pipeline.services.outbox;
  if (!outbox) throw new Error('the core has no ingress outbox');
  return outbox;
}

async function outage(pipeline: Pipeline): Promise<void> {
  await redis.down();
  await until(() => !outboxOf(pipeline).available(), 'the gateway to notice the outage');
}

async function recovery(pipeline: Pipeline): Promise<void> {
  await redis.up();
  await until(() => outboxOf(pipeline).available(), 'the gateway to reconnect');
}

/** Every job the queue holds, whatever its state. */
async function jobCount(pipeline: Pipeline): Promise<number> {
  const counts = await pipeline.core.producer.queue.getJobCounts('waiting', 'active', 'delayed', 'completed', 'failed', 'prioritized', 'waiting-children');
  return Object.values(counts).reduce((sum, count) => sum + count, 0);
}

function replyTo(fake: FakeDiscord, messageId: string): WireMessage | undefined {
  return fake.botMessagesIn(fake.channel.id).find((message) => message.message_reference?.message_id === messageId);
}

function typingCount(fake: FakeDiscord): number {
  return fake.requestsTo('POST', new RegExp(`^/channels/${fake.channel.id}/typing$`)).length;
}

describe('Discord mentions while Redis is down', () => {
  it('are each answered exactly once after a 10 s outage, in order, with typing shown while they wait', async () => {
    const { fake, pipeline } = await discordStack();
    await outage(pipeline);
    const downAt = Date.now();
    fake.clearRequests();

    const questions = [fake.userSays({ content: 'question one', mentionBot: true })];
    await sleep(3_000);
    questions.push(fake.userSays({ content: 'question two', mentionBot: true, author: fake.bob }));
    await sleep(3_000);
    questions.push(fake.userSays({ content: 'question three', mentionBot: true }));
    await until(() => outboxOf(pipeline).size === 3, 'three requests waiting');
    await sleep(Math.max(0, 10_000 - (Date.now() - downAt)));

    // Waiting: nothing posted, typing shown when the first arrived and renewed once (~8 s) since.
    expect(fake.botMessagesIn(fake.channel.id)).toHaveLength(0);
    expect(typingCount(fake)).toBe(2);
    expect(outboxOf(pipeline).size).toBe(3);

    await recovery(pipeline);
    for (const question of questions) await pipeline.waitForJob(jobIdFor('discord', question.id), 30_000);

    const answers = questions.map((question) => replyTo(fake, question.id));
    expect(answers.map((answer) => answer?.content)).toEqual(['Answer to: alice: question one', 'Answer to: bob: question two', 'Answer to: alice: question three']);
    // One message and one job each, placed in the order they were asked.
    expect(fake.botMessagesIn(fake.channel.id)).toHaveLength(3);
    expect(await jobCount(pipeline)).toBe(3);
    const ids = answers.map((answer) => BigInt(answer?.id ?? '0'));
    expect([...ids].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(ids);
    expect(fake.rateLimitedCount).toBe(0);
    expect(outboxOf(pipeline).size).toBe(0);
  }, 60_000);

  it('end in the readable failure when the outage outlasts the age limit, and nothing is queued later', async () => {
    const { fake, pipeline } = await discordStack({ INGRESS_OUTBOX_MAX_AGE_MS: '1000' });
    await outage(pipeline);
    const askedAt = Date.now();
    const question = fake.userSays({ content: 'are you there?', mentionBot: true });

    const failure = await fake.waitFor(() => fake.botMessagesIn(fake.channel.id)[0], 'the failure message', 10_000);
    const waitedMs = Date.now() - askedAt;
    expect(failure.content).toBe(ENQUEUE_FAILED_TEXT);
    expect(waitedMs).toBeGreaterThanOrEqual(1_000);
    expect(waitedMs).toBeLessThan(5_000);
    expect(outboxOf(pipeline).size).toBe(0);

    await recovery(pipeline);
    await sleep(1_500);
    expect(fake.botMessagesIn(fake.channel.id).map((message) => message.content)).toEqual([ENQUEUE_FAILED_TEXT]);
    expect(await jobCount(pipeline)).toBe(0);
    expect(await pipeline.core.producer.queue.getJob(jobIdFor('discord', question.id))).toBeUndefined();
  }, 60_000);

  it('tell the request that overflows a full outbox at once, and still answer the one that waited', async () => {
    const { fake, pipeline } = await discordStack({ INGRESS_OUTBOX_MAX: '1' });
    await outage(pipeline);
    const waiting = fake.userSays({ content: 'first in', mentionBot: true });
    await until(() => outboxOf(pipeline).size === 1, 'the first request waiting');
    const askedAt = Date.now();
    const overflow = fake.userSays({ content: 'one too many', mentionBot: true, author: fake.bob });

    const failure = await fake.waitFor(() => fake.botMessagesIn(fake.channel.id)[0], 'the failure message', 10_000);
    expect(failure.content).toBe(ENQUEUE_FAILED_TEXT);
    expect(Date.now() - askedAt).toBeLessThan(2_000);
    expect(outboxOf(pipeline).size).toBe(1);

    await recovery(pipeline);
    await pipeline.waitForJob(jobIdFor('discord', waiting.id), 30_000);
    expect(replyTo(fake, waiting.id)?.content).toBe('Answer to: alice: first in');
    expect(fake.botMessagesIn(fake.channel.id)).toHaveLength(2);
    expect(await jobCount(pipeline)).toBe(1);
    expect(await pipeline.core.producer.queue.getJob(jobIdFor('discord', overflow.id))).toBeUndefined();
  }, 60_000);
});

describe('a Discord /ask while Redis is down', () => {
  it('is deferred at once (Discord wants an answer within 3 s) and answered in that reply once Redis is back', async () => {
    const { fake, pipeline } = await discordStack();
    await outage(pipeline);
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'explain CRDTs' } });
    await until(() => fake.interaction(interaction.id)?.callbackType === 5, 'the deferral', 5_000);
    expect(fake.interaction(interaction.id)?.acknowledgedAfterMs).toBeLessThan(3_000);
    await sleep(1_000);
    expect(outboxOf(pipeline).size).toBe(1);

    await recovery(pipeline);
    await pipeline.waitForJob(jobIdFor('discord', interaction.id), 30_000);
    const recorded = fake.interaction(interaction.id);
    expect(fake.message(recorded?.responseMessageId ?? '')?.content).toBe('Answer to: alice: explain CRDTs');
    // One deferral: the waiting step made it and the placeholder step reused it.
    expect(fake.requestsTo('POST', new RegExp(`^/interactions/${interaction.id}/`))).toHaveLength(1);
    expect(await jobCount(pipeline)).toBe(1);
  }, 60_000);
});

describe('a Slack event while Redis is down', () => {
  let slack: FakeSlack | undefined;
  let pipeline: Pipeline | undefined;
  let ingress: SlackIngress | undefined;

  afterEach(async () => {
    await ingress?.stop();
    await pipeline?.stop();
    await slack?.stop();
  });

  it('is refused (non-2xx) so Slack redelivers it, and its redeliveries after the outage are answered once', async () => {
    slack = await new FakeSlack().start();
    slack.addUser('UALICE', 'alice');
    const secret = 'outage-signing-secret';
    pipeline = await startPipeline({
      env: { REDIS_URL: redis.url, SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: secret, SLACK_API_URL: slack.apiUrl, PORT: '0' },
      ports: (core) => [createSlackPorts(core.config, silentLogger(), { streamStates: new RedisStreamStateStore(core.redis, { prefix: core.config.REDIS_KEY_PREFIX }) })],
    });
    pipeline.fakeOfox.respond(() => reply('Here is your answer.'));
    ingress = await startSlackIngress(pipeline.config, pipeline.services, silentLogger(), {
      port: 0,
      answeredThreads: new RedisAnsweredThreads(pipeline.core.redis, { prefix: pipeline.config.REDIS_KEY_PREFIX }),
    });
    const sender = new SlackEventSender({ url: `http://127.0.0.1:${ingress.port}/slack/events`, signingSecret: secret, slack });
    const text = `<@${slack.botUserId}> what is a monad?`;

    await outage(pipeline);
    const first = await sender.appMention({ channel: 'C1', user: 'UALICE', text });
    expect(first.status).toBe(503);
    await sleep(300);
    expect(slack.botReplies('C1', first.ts)).toHaveLength(0);
    expect(outboxOf(pipeline).size).toBe(0);

    await recovery(pipeline);
    const redelivery = { eventId: first.eventId ?? '', retryReason: 'http_error' };
    const second = await sender.appMention({ channel: 'C1', user: 'UALICE', text, ts: first.ts }, { ...redelivery, retryNum: 1 });
    expect(second.status).toBe(200);
    const jobId = jobIdFor('slack', first.eventId ?? '');
    await pipeline.waitForJob(jobId, 30_000);
    const third = await sender.appMention({ channel: 'C1', user: 'UALICE', text, ts: first.ts }, { ...redelivery, retryNum: 2 });
    expect(third.status).toBe(200);
    await sleep(500);

    const replies = slack.botReplies('C1', first.ts);
    expect(replies).toHaveLength(1);
    expect(visibleText(replies[0]!)).toContain('Here is your answer.');
    expect(await jobCount(pipeline)).toBe(1);
  }, 60_000);
});
