import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordPorts, type DiscordPorts, type DiscordSurfaceLimits } from '../../adapters/discord/index.ts';
import { silentLogger } from '../../src/observability/index.ts';
import { LocalWritePacer, ProgressiveMessage, hasBalancedFences } from '../../src/render/index.ts';
import { FakeDiscord, type FakeDiscordOptions } from '../fakes/discord/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { discordConfig } from './support/discord-config.ts';
import { discordJob } from './support/jobs.ts';

/** The real renderer driving the Discord surface against the fake: what people would see. */

let fake: FakeDiscord;
let redis: Redis;
let prefix: string;
let ports: DiscordPorts;

async function setup(options: FakeDiscordOptions = {}, limits: Partial<DiscordSurfaceLimits> = {}): Promise<void> {
  fake = await FakeDiscord.start(options);
  ports = createDiscordPorts(discordConfig(fake, testRedisUrl(), prefix), silentLogger(), { redis, limits });
}

beforeEach(() => {
  prefix = newTestPrefix('discord-render');
  redis = new Redis(testRedisUrl());
});

afterEach(async () => {
  await ports.close();
  await fake.stop();
  redis.disconnect();
  await deleteKeys(prefix);
});

/** Feeds `text` to the message in `chunks` deltas, `gapMs` apart, like a model streaming. */
async function stream(message: ProgressiveMessage, text: string, chunks: number, gapMs: number): Promise<void> {
  const size = Math.ceil(text.length / chunks);
  for (let end = size; end < text.length + size; end += size) {
    message.setBody(text.slice(0, end));
    await new Promise((resolve) => setTimeout(resolve, gapMs));
  }
}

function placeholderFor(question: { id: string }) {
  const placeholder = fake.state.createMessage(fake.channel.id, fake.bot, { content: '⏳ Thinking…', allowed_mentions: { parse: [] }, message_reference: { message_id: question.id } });
  return { id: placeholder.id, channelId: fake.channel.id };
}

describe('a Discord answer rendered progressively', () => {
  it("ends with exactly the model's text, with no 429 at the default pace", async () => {
    await setup();
    const question = fake.userSays({ content: 'tell me', mentionBot: true });
    const placeholder = placeholderFor(question);
    const job = discordJob(fake, { messageId: question.id, placeholder });
    const message = new ProgressiveMessage({ surface: ports.surfaceFor(job), pacer: new LocalWritePacer(), placeholder, controls: { kind: 'stop', jobId: 'discord-x' } });
    const text = Array.from({ length: 40 }, (_, index) => `Sentence number ${index} with @everyone inside.`).join(' ');
    await stream(message, text, 40, 60);
    await message.finish({ outcome: 'complete' });

    const final = fake.message(placeholder.id);
    expect(final?.content.replace(/\u200b/g, '')).toBe(text);
    expect(fake.buttonsOf(placeholder.id)).toEqual([]);
    expect(fake.rateLimitedCount).toBe(0);
    expect(fake.clientErrorCount).toBe(0);
    expect(fake.editCount(placeholder.id)).toBeGreaterThan(1);
    for (const write of fake.messageWrites()) expect(write.allowedMentions).toEqual({ parse: [] });
  });

  it('loses no text in a 429 storm', async () => {
    // A short base interval keeps the renderer's widening pace (it doubles per 429) test-sized.
    await setup({}, { minEditIntervalMs: 100 });
    const question = fake.userSays({ content: 'tell me', mentionBot: true });
    const placeholder = placeholderFor(question);
    const job = discordJob(fake, { messageId: question.id, placeholder });
    const message = new ProgressiveMessage({ surface: ports.surfaceFor(job), pacer: new LocalWritePacer(), placeholder, retryBackoffMs: 50 });
    const text = Array.from({ length: 60 }, (_, index) => `Line ${index}.`).join('\n');
    const streaming = stream(message, text, 30, 40);
    await new Promise((resolve) => setTimeout(resolve, 150));
    fake.rateLimitNext(5, 200);
    await streaming;
    await message.finish({ outcome: 'complete' });

    expect(fake.rateLimitedCount).toBeGreaterThan(0);
    expect(fake.message(placeholder.id)?.content).toBe(text);
  });

  it('splits a long answer into messages under 2,000 characters with code fences closed and reopened', async () => {
    await setup({ rateLimits: { messageCreate: { limit: 5, windowMs: 1000 }, messageEdit: { limit: 5, windowMs: 1000 } } });
    const question = fake.userSays({ content: 'write a lot', mentionBot: true });
    const placeholder = placeholderFor(question);
    const job = discordJob(fake, { messageId: question.id, placeholder });
    const message = new ProgressiveMessage({ surface: ports.surfaceFor(job), pacer: new LocalWritePacer(), placeholder });
    const prose = (count: number) => Array.from({ length: count }, (_, index) => `word${index}`).join(' ');
    const code = '```python\n' + Array.from({ length: 150 }, (_, index) => `print("line ${index}")`).join('\n') + '\n```';
    const text = `${prose(700)}\n\n${code}\n\n${prose(700)}`;
    message.setBody(text);
    await message.finish({ outcome: 'complete' });

    const parts = fake.botMessagesIn(fake.channel.id);
    expect(parts.length).toBeGreaterThanOrEqual(4);
    for (const part of parts) {
      expect(part.content.length).toBeLessThanOrEqual(2000);
      expect(hasBalancedFences(part.content)).toBe(true);
    }
    expect(fake.clientErrorCount).toBe(0);
    const joined = parts.map((part) => part.content).join('\n');
    for (let index = 0; index < 150; index += 1) expect(joined).toContain(`print("line ${index}")`);
  });
});
