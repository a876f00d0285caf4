import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordPorts, InteractionTokenStore, type DiscordPorts } from '../../adapters/discord/index.ts';
import { silentLogger } from '../../src/observability/index.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import { FakeDiscord, MessageFlag } from '../fakes/discord/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { discordConfig } from './support/discord-config.ts';
import { deferInteraction, discordJob } from './support/jobs.ts';

let fake: FakeDiscord;
let redis: Redis;
let prefix: string;
let ports: DiscordPorts;

beforeEach(async () => {
  fake = await FakeDiscord.start();
  prefix = newTestPrefix('discord-approvals');
  redis = new Redis(testRedisUrl());
  ports = createDiscordPorts(discordConfig(fake, testRedisUrl(), prefix), silentLogger(), { redis });
});

afterEach(async () => {
  await ports.close();
  await fake.stop();
  redis.disconnect();
  await deleteKeys(prefix);
});

const prompt = (userId: string) => ({ approvalId: 'appr-42', jobId: 'discord-1', toolName: 'fetch_url', summary: 'GET https://example.test/@everyone', userId });

describe('discord approvals', () => {
  it('posts Approve / Deny under the answer and shows the outcome without pinging anyone', async () => {
    const question = fake.userSays({ content: 'fetch it', mentionBot: true });
    const placeholder = fake.state.createMessage(fake.channel.id, fake.bot, { content: '⏳ Thinking…', message_reference: { message_id: question.id }, allowed_mentions: { parse: [] } });
    const job = discordJob(fake, { messageId: question.id, placeholder: { id: placeholder.id, channelId: fake.channel.id } });

    const ref = await ports.approvals!.post(job, prompt(fake.alice.id));
    const posted = fake.message(ref.id);
    expect(posted?.message_reference?.message_id).toBe(placeholder.id);
    expect(posted?.content).toContain('fetch_url');
    expect(fake.buttonsOf(ref.id)).toEqual(['ofox:approve:appr-42', 'ofox:deny:appr-42']);

    await ports.approvals!.resolve(ref, prompt(fake.alice.id), 'approved', fake.bob.id);
    expect(fake.message(ref.id)?.content).toMatch(/Approved by <@\d+>/);
    expect(fake.buttonsOf(ref.id)).toEqual([]);
    for (const write of fake.messageWrites()) expect(write.allowedMentions).toEqual({ parse: [] });
    expect(fake.pingsOf(ref.id)).toEqual({ everyone: false, users: [], roles: [] });
  });

  it('shows timed-out and cancelled outcomes plainly', async () => {
    const ref = await ports.approvals!.post(discordJob(fake), prompt(fake.alice.id));
    await ports.approvals!.resolve(ref, prompt(fake.alice.id), 'timed-out');
    expect(fake.message(ref.id)?.content).toMatch(/not run/);
  });

  it('asks privately, as an ephemeral follow-up, for a private slash-command answer', async () => {
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'x', private: true } });
    const responseId = await deferInteraction(fake, interaction, true);
    await new InteractionTokenStore({ redis, prefix }).save(jobIdFor('discord', interaction.id), interaction.token);
    const job = discordJob(fake, {
      eventId: interaction.id,
      fromCommand: true,
      private: true,
      placeholder: { id: responseId, channelId: fake.channel.id, extra: { kind: 'interaction', interactionId: interaction.id } },
    });
    const ref = await ports.approvals!.post(job, prompt(fake.alice.id));
    expect(ref.extra).toEqual({ kind: 'followup', interactionId: interaction.id });
    expect((fake.message(ref.id)?.flags ?? 0) & MessageFlag.Ephemeral).toBe(MessageFlag.Ephemeral);
    await ports.approvals!.resolve(ref, prompt(fake.alice.id), 'denied', fake.alice.id);
    expect(fake.message(ref.id)?.content).toMatch(/Denied/);
    expect(fake.buttonsOf(ref.id)).toEqual([]);
  });
});
