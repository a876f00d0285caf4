import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordPorts, startDiscordIngress, type DiscordPorts } from '../../adapters/discord/index.ts';
import { discordTypingRequest } from '../../adapters/discord/write-budgets.ts';
import { silentLogger } from '../../src/observability/index.ts';
import { ProgressiveMessage, RedisWritePacer, shareTransportPacer } from '../../src/render/index.ts';
import { FakeDiscord, type RecordedRequest } from '../fakes/discord/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { discordConfig } from './support/discord-config.ts';
import { discordJob } from './support/jobs.ts';
import { RecordingServices } from './support/recording-services.ts';
import { RecordingPacer } from '../render/helpers/recording-pacer.ts';

/**
 * Writes outside the answer renderer (an approval prompt and its outcome, a file) draw from the
 * channel's message bucket the answer's writes use, through the shared Redis pacer: an answer that
 * streams at the channel's full budget and a tool's writes beside it never draw a 429 together.
 * The fake enforces 5 writes a second per channel here (Discord's 5 per 5 s, shortened to keep
 * the test quick; the pacer learns the window from the headers either way).
 */

const WINDOW_MS = 1_000;
const RULE = { limit: 5, windowMs: WINDOW_MS };

let fake: FakeDiscord;
let redis: Redis;
let prefix: string;
let ports: DiscordPorts;
let pacer: RedisWritePacer;

beforeEach(async () => {
  fake = await FakeDiscord.start({ rateLimits: { messageCreate: RULE, messageEdit: RULE } });
  prefix = newTestPrefix('discord-paced');
  redis = new Redis(testRedisUrl());
  pacer = new RedisWritePacer({ redis, prefix });
  ports = createDiscordPorts(discordConfig(fake, testRedisUrl(), prefix), silentLogger(), {
    redis,
    pacer,
    limits: { channelEditsPerWindow: RULE.limit, channelWindowMs: WINDOW_MS, minEditIntervalMs: 50 },
  });
});

afterEach(async () => {
  await ports.close();
  await fake.stop();
  redis.disconnect();
  await deleteKeys(prefix);
});

const prompt = { approvalId: 'appr-7', jobId: 'discord-7', toolName: 'fetch_url', summary: 'GET https://example.test/', userId: '1' };

/** An answer in the fake's channel that wants a write every 40 ms for about two seconds: more than the channel allows. */
function streamingAnswer() {
  const question = fake.userSays({ content: 'tell me', mentionBot: true });
  const created = fake.state.createMessage(fake.channel.id, fake.bot, { content: '⏳ Thinking…', allowed_mentions: { parse: [] }, message_reference: { message_id: question.id } });
  const placeholder = { id: created.id, channelId: fake.channel.id };
  const job = discordJob(fake, { messageId: question.id, placeholder });
  const message = new ProgressiveMessage({ surface: ports.surfaceFor(job), pacer, placeholder });
  const text = Array.from({ length: 50 }, (_, index) => `Sentence ${index}.`).join(' ');
  const streaming = (async () => {
    for (let words = 1; words <= 50; words += 1) {
      message.setBody(text.split(' ').slice(0, words * 2).join(' '));
      await new Promise((resolve) => setTimeout(resolve, 40));
    }
    await message.finish({ outcome: 'complete' });
  })();
  return { job, placeholder, text, streaming };
}

/** The bot's message writes in the channel (creates and edits), in the order the fake received them. */
function channelWrites(): RecordedRequest[] {
  return fake.messageWrites().filter((request) => request.path.startsWith(`/channels/${fake.channel.id}/messages`));
}

/** Never more than the bucket's limit in any span of its window, whoever wrote. */
function expectWithinWindows(writes: RecordedRequest[]): void {
  for (let index = RULE.limit; index < writes.length; index += 1) {
    expect(writes[index]!.at - writes[index - RULE.limit]!.at).toBeGreaterThanOrEqual(WINDOW_MS);
  }
}

describe('Discord writes outside the renderer share the channel budget', () => {
  it('asks for approval and shows the outcome beside a streaming answer with no 429', async () => {
    const answer = streamingAnswer();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const ref = await ports.approvals!.post(answer.job, prompt);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await ports.approvals!.resolve(ref, prompt, 'approved', fake.bob.id);
    await answer.streaming;

    expect(fake.rateLimitedCount).toBe(0);
    expect(fake.message(answer.placeholder.id)?.content).toBe(answer.text);
    expect(fake.message(ref.id)?.content).toMatch(/Approved by <@\d+>/);
    expect(fake.buttonsOf(ref.id)).toEqual([]);
    const writes = channelWrites();
    // The answer's edits, the prompt and its outcome: each exactly once, all counted in one bucket.
    expect(writes.filter((write) => write.method === 'POST').length).toBe(1);
    expect(writes.filter((write) => write.path.endsWith(`/${ref.id}`)).length).toBe(1);
    expect(writes.length).toBe(fake.editCount(answer.placeholder.id) + 2);
    expectWithinWindows(writes);
  });

  it('uploads two images beside a streaming answer with no 429', async () => {
    const answer = streamingAnswer();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const bytes = Buffer.from('\x89PNG\r\n\x1a\nnot really a picture', 'latin1');
    // The image tool uploads the images it asked for one after the other.
    for (const name of ['fox-1.png', 'fox-2.png']) {
      const uploaded = await ports.files!.upload(answer.job, { name, bytes, mediaType: 'image/png', title: 'a fox' }, AbortSignal.timeout(10_000));
      expect(uploaded.name).toBe(name);
    }
    await answer.streaming;

    expect(fake.rateLimitedCount).toBe(0);
    const withFile = fake.botMessagesIn(fake.channel.id).filter((message) => (message.attachments?.length ?? 0) > 0);
    expect(withFile.map((message) => message.attachments?.map((attachment) => attachment.filename))).toEqual([['fox-1.png'], ['fox-2.png']]);
    const writes = channelWrites();
    expect(writes.filter((write) => write.method === 'POST').length).toBe(2);
    expect(writes.length).toBe(fake.editCount(answer.placeholder.id) + 2);
    expectWithinWindows(writes);
  });

  it('holds the channel off for the Retry-After of a 429 and posts the prompt once', async () => {
    fake.rateLimitNext(1, 400);
    const ref = await ports.approvals!.post(discordJob(fake), prompt);

    const posts = fake.requestsTo('POST', new RegExp(`^/channels/${fake.channel.id}/messages$`));
    expect(posts.map((post) => post.status)).toEqual([429, 200]);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(400);
    expect(fake.botMessagesIn(fake.channel.id).map((message) => message.id)).toEqual([ref.id]);
  });
});

describe("the gateway's notices draw from the channel budget too", () => {
  /** The gateway with the process's shared pacer recorded (as `core.ts` shares it), and its notices asked for. */
  async function gateway(configure: (services: RecordingServices) => void) {
    const recorded = new RecordingPacer(pacer);
    shareTransportPacer(recorded);
    const services = new RecordingServices(testRedisUrl(), prefix);
    configure(services);
    const ingress = await startDiscordIngress(discordConfig(fake, testRedisUrl(), prefix), services, silentLogger(), { redis: services.redis });
    return {
      recorded,
      services,
      async stop() {
        await ingress.stop();
        await services.close();
        shareTransportPacer(undefined);
      },
    };
  }

  it('shows a failure in the placeholder as a final write of its channel', async () => {
    const { recorded, stop } = await gateway((services) => {
      services.enqueueError = new Error('redis is down');
    });
    try {
      fake.userSays({ content: 'hello', mentionBot: true });
      const placeholder = await fake.waitFor(() => fake.botMessagesIn(fake.channel.id).find((message) => message.edited_timestamp !== null), 'the edited placeholder');
      expect(placeholder.content).toMatch(/could not start/i);
      expect(recorded.asks.filter((ask) => !ask.startsWith('discord:global'))).toEqual([`discord:${fake.channel.id}:messages final`]);
      expect(fake.rateLimitedCount).toBe(0);
    } finally {
      await stop();
    }
  });

  it("sends a refusal to the asker's DM channel as a final write of that channel", async () => {
    const { recorded, stop } = await gateway((services) => {
      Object.assign(services, { gate: { check: async () => ({ allowed: false, reason: 'budget', notice: 'Your budget for this month is spent.' }) } });
    });
    try {
      fake.userSays({ content: 'hello', mentionBot: true });
      const dm = fake.state.dmChannelWith(fake.alice);
      const notice = await fake.waitFor(() => fake.botMessagesIn(dm.id)[0], 'the private notice');
      expect(notice.content).toBe('Your budget for this month is spent.');
      expect(recorded.asks.filter((ask) => !ask.startsWith('discord:global'))).toEqual([`discord:${dm.id}:messages final`]);
    } finally {
      await stop();
    }
  });

  it('types only while the channel\'s typing bucket has room, and leaves it out (the job still queued) when not', async () => {
    const { recorded, services, stop } = await gateway((configured) => {
      Object.assign(configured, { placeholderPacer: { mayPostNow: async () => false } });
    });
    try {
      const typing = () => fake.requests.filter((request) => request.method === 'POST' && request.path === `/channels/${fake.channel.id}/typing`);
      fake.userSays({ content: 'hello', mentionBot: true });
      await fake.waitFor(() => typing().length === 1, 'the typing indicator');
      await pacer.holdOff(discordTypingRequest(fake.channel.id).budgets.slice(0, 1), 60_000);
      fake.userSays({ content: 'and again', mentionBot: true });
      await fake.waitFor(() => recorded.reserves.length === 2, 'the second acknowledgment');
      await new Promise((resolve) => setTimeout(resolve, 150));
      const key = `discord:${fake.channel.id}:typing+discord:global`;
      expect(recorded.reserves).toEqual([`${key} granted`, `${key} refused`]);
      expect(typing()).toHaveLength(1);
      await fake.waitFor(() => services.jobs.length === 2, 'both jobs');
    } finally {
      await stop();
    }
  });
});
