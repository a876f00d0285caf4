import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startDiscordIngress, type DiscordIngress } from '../../adapters/discord/index.ts';
import { silentLogger } from '../../src/observability/index.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import { FakeDiscord, Intent } from '../fakes/discord/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { discordConfig } from './support/discord-config.ts';
import { RecordingServices } from './support/recording-services.ts';

let fake: FakeDiscord;
let services: RecordingServices;
let prefix: string;
const ingresses: DiscordIngress[] = [];

async function startIngress(overrides: Record<string, string> = {}, recording = services): Promise<DiscordIngress> {
  const ingress = await startDiscordIngress(discordConfig(fake, testRedisUrl(), prefix, overrides), recording, silentLogger(), { redis: recording.redis });
  ingresses.push(ingress);
  return ingress;
}

const settle = (ms = 150) => new Promise((resolve) => setTimeout(resolve, ms));

beforeEach(async () => {
  fake = await FakeDiscord.start();
  prefix = newTestPrefix('discord-ingress');
  services = new RecordingServices(testRedisUrl(), prefix);
});

afterEach(async () => {
  for (const ingress of ingresses.splice(0)) await ingress.stop();
  await services.close();
  await fake.stop();
  await deleteKeys(prefix);
});

describe('discord ingress', () => {
  it('turns an @mention into exactly one placeholder reply and one queued job', async () => {
    await startIngress();
    const question = fake.userSays({ content: 'what is a monad?', mentionBot: true });

    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    await settle();
    const [job] = services.jobs;
    const placeholders = fake.botMessagesIn(fake.channel.id);
    expect(placeholders).toHaveLength(1);
    const placeholder = placeholders[0]!;
    expect(placeholder.message_reference?.message_id).toBe(question.id);
    expect(placeholder.content).toMatch(/thinking/i);
    expect(fake.buttonsOf(placeholder.id)).toEqual([`ofox:stop:${jobIdFor('discord', question.id)}`]);
    expect(fake.pingsOf(placeholder.id)).toEqual({ everyone: false, users: [], roles: [] });
    expect(job).toMatchObject({
      platform: 'discord',
      eventId: question.id,
      messageId: question.id,
      workspaceId: fake.guild.id,
      channelId: fake.channel.id,
      userId: fake.alice.id,
      prompt: 'what is a monad?',
      placeholder: { id: placeholder.id, channelId: fake.channel.id },
    });
    expect(job?.threadId).toBeUndefined();
  });

  it('queues a redelivered message once, even when two gateways receive it', async () => {
    await startIngress();
    const second = new RecordingServices(testRedisUrl(), prefix);
    try {
      await startIngress({}, second);
      const question = fake.userSays({ content: 'hello', mentionBot: true });
      await fake.waitFor(() => services.jobs.length + second.jobs.length >= 1, 'a job');
      fake.redeliver(question.id);
      await settle(300);

      expect(services.jobs.length + second.jobs.length).toBe(1);
      expect(fake.botMessagesIn(fake.channel.id)).toHaveLength(1);
      // Each gateway claims the event once: the two sessions both receive it, and the claim (Redis
      // SET NX) lets one of them through. The redelivery reaches no claim at all: discord.js drops a
      // MESSAGE_CREATE for a message already in its cache before emitting it.
      expect(services.claims).toEqual([question.id]);
      expect(second.claims).toEqual([question.id]);
    } finally {
      await second.close();
    }
  });

  it("ignores other bots' messages and its own", async () => {
    await startIngress();
    fake.botSays({ content: 'beep', mentionBot: true });
    await settle(300);
    expect(services.jobs).toHaveLength(0);
    expect(services.claims).toHaveLength(0);
    // its own placeholder (a bot message echoed by the gateway) never triggers a second answer
    fake.userSays({ content: 'hi', mentionBot: true });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    await settle(300);
    expect(services.jobs).toHaveLength(1);
  });

  it("answers other bots when IGNORE_BOTS is false, but never itself", async () => {
    await startIngress({ IGNORE_BOTS: 'false' });
    fake.botSays({ content: 'beep', mentionBot: true });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    await settle(300);
    expect(services.jobs).toHaveLength(1);
  });

  it('answers a direct message without a mention', async () => {
    await startIngress();
    const message = fake.dm({ content: 'hey there' });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    const [job] = services.jobs;
    expect(job).toMatchObject({ workspaceId: 'dm', channelId: message.channel_id, prompt: 'hey there', userId: fake.alice.id });
    expect(fake.botMessagesIn(message.channel_id)).toHaveLength(1);
  });

  it("answers a reply to the bot's message, and not a reply to someone else's", async () => {
    await startIngress();
    fake.userSays({ content: 'first', mentionBot: true });
    const placeholder = await fake.waitFor(() => fake.botMessagesIn(fake.channel.id)[0], 'the placeholder');
    const humanMessage = fake.userSays({ content: 'unrelated', author: fake.bob });
    fake.userSays({ content: 'replying to bob', replyTo: humanMessage.id });
    await settle(300);
    expect(services.jobs).toHaveLength(1);

    const reply = fake.userSays({ content: 'and then?', replyTo: placeholder.id, pingRepliedUser: false });
    await fake.waitFor(() => services.jobs.length === 2, 'the second job');
    expect(services.jobs[1]).toMatchObject({ messageId: reply.id, prompt: 'and then?' });
  });

  it("answers a mention of the bot's managed role, without the role in the prompt", async () => {
    await startIngress();
    fake.userSays({ content: 'summarize please', mentionBotRole: true });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    expect(services.jobs[0]?.prompt).toBe('summarize please');
  });

  it('ignores messages that mention someone else or nobody', async () => {
    await startIngress();
    fake.userSays({ content: `hey <@${fake.bob.id}>` });
    fake.userSays({ content: '@everyone lunch?' });
    await settle(300);
    expect(services.jobs).toHaveLength(0);
  });

  it('opens a thread per conversation when configured, and answers follow-ups there without a mention', async () => {
    await startIngress({ DISCORD_THREAD_PER_CONVERSATION: 'true' });
    const question = fake.userSays({ content: 'plan the offsite', mentionBot: true });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    const thread = fake.message(question.id)?.thread;
    expect(thread?.owner_id).toBe(fake.bot.id);
    expect(services.jobs[0]).toMatchObject({ channelId: fake.channel.id, threadId: thread?.id, placeholder: { channelId: thread?.id } });
    expect(fake.botMessagesIn(thread?.id ?? '')).toHaveLength(1);

    const followUp = fake.userSays({ content: 'add a hike', channelId: thread?.id ?? '' });
    await fake.waitFor(() => services.jobs.length === 2, 'the follow-up job');
    expect(services.jobs[1]).toMatchObject({ messageId: followUp.id, channelId: fake.channel.id, threadId: thread?.id, prompt: 'add a hike' });
  });

  it('turns the placeholder into a readable error when the job cannot be queued', async () => {
    services.enqueueError = new Error('redis is down');
    await startIngress();
    fake.userSays({ content: 'hello', mentionBot: true });
    const placeholder = await fake.waitFor(() => fake.botMessagesIn(fake.channel.id).find((message) => message.edited_timestamp !== null), 'the edited placeholder');
    expect(placeholder.content).toMatch(/could not start/i);
    expect(fake.buttonsOf(placeholder.id)).toEqual([]);
  });

  it('a gate refusal reaches the asker privately by DM, with no placeholder and no job', async () => {
    Object.assign(services, { gate: { check: async () => ({ allowed: false, reason: 'budget', notice: 'Your budget for this month is spent.' }) } });
    await startIngress();
    fake.userSays({ content: 'hello', mentionBot: true });
    const dm = fake.state.dmChannelWith(fake.alice);
    const notice = await fake.waitFor(() => fake.botMessagesIn(dm.id)[0], 'the private notice');
    await settle();
    expect(notice.content).toBe('Your budget for this month is spent.');
    expect(fake.botMessagesIn(dm.id)).toHaveLength(1);
    expect(fake.botMessagesIn(fake.channel.id)).toHaveLength(0);
    expect(services.jobs).toHaveLength(0);
  });

  it('without room for a placeholder, shows typing and queues the job without one', async () => {
    Object.assign(services, { placeholderPacer: { mayPostNow: async () => false } });
    await startIngress();
    fake.userSays({ content: 'hello', mentionBot: true });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    await settle();
    expect(services.jobs[0]?.placeholder).toBeUndefined();
    expect(fake.botMessagesIn(fake.channel.id)).toHaveLength(0);
    expect(fake.requests.filter((request) => request.method === 'POST' && request.path.endsWith(`/channels/${fake.channel.id}/typing`))).toHaveLength(1);
  });

  it('passes attachments on as typed job attachments and names people instead of raw mentions', async () => {
    await startIngress();
    fake.userSays({
      content: `ask <@${fake.bob.id}> about this`,
      mentionBot: true,
      attachments: [
        { filename: 'notes.md', contentType: 'text/markdown; charset=utf-8', body: '# notes' },
        { filename: 'cat.png', contentType: 'image/png', body: Buffer.from([1, 2, 3]) },
        { filename: 'blob.bin', contentType: 'application/octet-stream', body: Buffer.from([0]) },
      ],
    });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    const [job] = services.jobs;
    expect(job?.prompt).toBe('ask @bob about this');
    expect(job?.attachments?.map((attachment) => [attachment.kind, attachment.name, attachment.mediaType])).toEqual([
      ['text', 'notes.md', 'text/markdown'],
      ['image', 'cat.png', 'image/png'],
      ['file', 'blob.bin', 'application/octet-stream'],
    ]);
  });

  it('survives malformed and unexpected gateway events and keeps answering', async () => {
    await startIngress();
    fake.gateway.dispatch('MESSAGE_CREATE', { id: 'not-a-snowflake' }, { intent: Intent.GuildMessages });
    fake.gateway.dispatch('MESSAGE_CREATE', { id: '1', channel_id: fake.channel.id, guild_id: fake.guild.id, content: 'no author' }, { intent: Intent.GuildMessages });
    fake.gateway.dispatch('INTERACTION_CREATE', { id: '2', type: 99, token: 'x', application_id: fake.applicationId, version: 1 });
    fake.gateway.dispatch('SOMETHING_NEW', { hello: 'world' });
    await settle(200);
    fake.userSays({ content: 'still fine?', mentionBot: true });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
  });

  it('fails to start with a clear error when the token is wrong', async () => {
    const config = discordConfig(fake, testRedisUrl(), prefix, { DISCORD_TOKEN: 'not-the-token' });
    await expect(startDiscordIngress(config, services, silentLogger(), { redis: services.redis, readyTimeoutMs: 5_000 })).rejects.toThrow(/token/i);
  });

  it('asks the gateway for only the intents it needs, over uncompressed JSON', async () => {
    await startIngress();
    const [intents] = fake.gateway.sessionIntents();
    expect(intents).toBe(Intent.Guilds | Intent.GuildMessages | Intent.MessageContent | Intent.DirectMessages | Intent.GuildMessageReactions | Intent.DirectMessageReactions);
  });

  it('keeps answering after the gateway connection drops and resumes', async () => {
    await startIngress();
    fake.gateway.dropConnections(4000);
    await settle(100);
    fake.userSays({ content: 'still there?', mentionBot: true });
    await fake.waitFor(() => services.jobs.length === 1, 'the job after resume', 15_000);
    expect(fake.gateway.received.some((frame) => frame.op === 6)).toBe(true);
  });
});
