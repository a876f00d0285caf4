import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordPorts, type DiscordPorts } from '../../adapters/discord/index.ts';
import { forwardedText } from '../../adapters/discord/forwarded.ts';
import { silentLogger } from '../../src/observability/index.ts';
import { FakeDiscord } from '../fakes/discord/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { discordConfig } from './support/discord-config.ts';
import { discordJob } from './support/jobs.ts';

describe('forwardedText', () => {
  it('quotes each snapshot under a "Forwarded message" line, with embeds and attachment names', () => {
    expect(
      forwardedText({
        content: '',
        message_snapshots: [
          { message: { content: 'deploy failed\n\nsee logs', attachments: [{ filename: 'build.log' }], embeds: [{ title: 'CI', description: 'job #42 red' }] } },
          { message: { content: 'second one' } },
        ],
      }),
    ).toBe('Forwarded message:\n> deploy failed\n>\n> see logs\n> CI\n> job #42 red\n> [attached: build.log]\n\nForwarded message:\n> second one');
  });

  it('is empty for ordinary messages and for snapshots with nothing to read', () => {
    expect(forwardedText({ content: 'hello' })).toBe('');
    expect(forwardedText({ content: '', message_snapshots: [{ message: { content: '  ', embeds: [{}] } }, {}] })).toBe('');
  });
});

describe('forwarded messages in the Discord conversation', () => {
  let fake: FakeDiscord;
  let redis: Redis;
  let prefix: string;
  let ports: DiscordPorts;
  const signal = new AbortController().signal;

  beforeEach(async () => {
    fake = await FakeDiscord.start();
    prefix = newTestPrefix('discord-forwarded');
    redis = new Redis(testRedisUrl());
    ports = createDiscordPorts(discordConfig(fake, testRedisUrl(), prefix), silentLogger(), { redis });
  });

  afterEach(async () => {
    await ports.close();
    await fake.stop();
    redis.disconnect();
    await deleteKeys(prefix);
  });

  it('reads a forward in the reply chain as quoted text, without following it to the original', async () => {
    const elsewhere = fake.addTextChannel('ops');
    const original = fake.userSays({ content: 'The cache hit rate dropped to 12%', channelId: elsewhere.id, author: fake.bob });
    const forward = fake.forward({ messageId: original.id });
    expect(forward.message_snapshots?.[0]?.message.content).toBe('The cache hit rate dropped to 12%');
    const question = fake.userSays({ content: 'what could cause this?', mentionBot: true, replyTo: forward.id });
    const history = await ports.conversation.history(discordJob(fake, { messageId: question.id, eventId: question.id }), { signal, maxMessages: 20 });
    expect(history).toEqual([{ role: 'user', content: 'Forwarded message:\n> The cache hit rate dropped to 12%', name: 'alice' }]);
  });
});
