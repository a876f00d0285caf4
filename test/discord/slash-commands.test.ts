import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DISCORD_COMMANDS, registerDiscordCommands, startDiscordIngress, type DiscordIngress } from '../../adapters/discord/index.ts';
import { silentLogger } from '../../src/observability/index.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import { FakeDiscord, MessageFlag, Permission } from '../fakes/discord/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { discordConfig } from './support/discord-config.ts';
import { RecordingServices } from './support/recording-services.ts';

let fake: FakeDiscord;
let services: RecordingServices;
let prefix: string;
let ingress: DiscordIngress | undefined;

async function startIngress(overrides: Record<string, string> = {}): Promise<void> {
  ingress = await startDiscordIngress(discordConfig(fake, testRedisUrl(), prefix, overrides), services, silentLogger(), { redis: services.redis });
}

beforeEach(async () => {
  fake = await FakeDiscord.start();
  prefix = newTestPrefix('discord-commands');
  services = new RecordingServices(testRedisUrl(), prefix);
});

afterEach(async () => {
  await ingress?.stop();
  ingress = undefined;
  await services.close();
  await fake.stop();
  await deleteKeys(prefix);
});

describe('discord slash commands', () => {
  it('defers /ask within 3 s, keeps the token out of the job, then enqueues it', async () => {
    await startIngress();
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'explain CRDTs', model: 'anthropic/claude-sonnet-4.5' } });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    const recorded = fake.interaction(interaction.id);
    expect(recorded?.callbackType).toBe(5);
    expect(recorded?.acknowledgedAfterMs).toBeLessThan(3000);
    expect(recorded?.ephemeral).toBe(false);
    const [job] = services.jobs;
    expect(job).toMatchObject({
      eventId: interaction.id,
      fromCommand: true,
      private: false,
      prompt: 'explain CRDTs',
      model: 'anthropic/claude-sonnet-4.5',
      channelId: fake.channel.id,
      placeholder: { id: recorded?.responseMessageId, channelId: fake.channel.id, extra: { kind: 'interaction', interactionId: interaction.id } },
    });
    expect(JSON.stringify(job)).not.toContain(interaction.token);
    const stored = await services.redis.get(`${prefix}:discord:interaction-token:${jobIdFor('discord', interaction.id)}`);
    expect(JSON.parse(stored ?? '{}').token).toBe(interaction.token);
    const ttl = await services.redis.pttl(`${prefix}:discord:interaction-token:${jobIdFor('discord', interaction.id)}`);
    expect(ttl).toBeGreaterThan(14 * 60_000);
    expect(ttl).toBeLessThanOrEqual(15 * 60_000);
  });

  it("reads the deferred reply's real id when the deferral's answer leaves it out", async () => {
    await fake.stop();
    fake = await FakeDiscord.start({ omitDeferredResponseMessageId: true });
    await startIngress();
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'explain CRDTs' } });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    const responseMessageId = fake.interaction(interaction.id)?.responseMessageId;
    expect(responseMessageId).toMatch(/^\d{17,20}$/);
    expect(services.jobs[0]?.placeholder?.id).toBe(responseMessageId);
  });

  it('defers a private /ask ephemerally', async () => {
    await startIngress();
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'secret', private: true } });
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    expect(fake.interaction(interaction.id)?.ephemeral).toBe(true);
    expect(fake.message(fake.interaction(interaction.id)?.responseMessageId ?? '')?.flags ?? 0).toBe(MessageFlag.Ephemeral | MessageFlag.Loading);
    expect(services.jobs[0]?.private).toBe(true);
  });

  it('runs settings commands with their arguments and who is an admin', async () => {
    await startIngress({ DISCORD_ADMIN_ROLE_IDS: fake.adminRole.id });
    services.commandReply = { text: 'Model set to **openai/gpt-4o** for this channel.', ephemeral: false };
    const plain = fake.slashCommand({ name: 'model', options: { name: 'openai/gpt-4o' } });
    await fake.waitFor(() => fake.interaction(plain.id)?.callbackType, 'the reply');
    fake.slashCommand({ name: 'tools', options: { action: 'enable', tool: 'fetch_url' }, permissions: Permission.ManageGuild | Permission.ViewChannel });
    fake.slashCommand({ name: 'persona', options: { text: 'clear' }, user: fake.bob, roles: [fake.adminRole.id] });
    fake.slashCommand({ name: 'usage' });
    await fake.waitFor(() => services.commands.length === 4, 'four commands');

    expect(services.commands.map((command) => [command.name, command.args, command.isAdmin])).toEqual([
      ['model', 'openai/gpt-4o', false],
      ['tools', 'enable fetch_url', true],
      ['persona', 'clear', true],
      ['usage', '', false],
    ]);
    expect(fake.interaction(plain.id)?.callbackType).toBe(4);
    const reply = fake.message(fake.interaction(plain.id)?.responseMessageId ?? '');
    expect(reply?.content).toBe('Model set to **openai/gpt-4o** for this channel.');
    expect(reply?.flags ?? 0).toBe(0);
  });

  it('defers a settings command at once when the interaction reached the bot 2.5 s after Discord created it', async () => {
    await startIngress();
    services.commandDelayMs = 300;
    services.commandReply = { text: 'Current model: openai/gpt-4o', ephemeral: true };
    const late = fake.slashCommand({ name: 'model', createdAt: Date.now() - 2500 });
    await fake.waitFor(() => fake.message(fake.interaction(late.id)?.responseMessageId ?? '')?.content === 'Current model: openai/gpt-4o', 'the reply');
    const recorded = fake.interaction(late.id);
    expect(recorded?.callbackType).toBe(5);
    expect(recorded?.acknowledgedAfterMs).toBeLessThan(2800);
    expect(fake.message(recorded?.responseMessageId ?? '')?.flags).toBe(MessageFlag.Ephemeral);
  });

  it('keeps a public settings reply public when the command is slower than the budget', async () => {
    ingress = await startDiscordIngress(discordConfig(fake, testRedisUrl(), prefix), services, silentLogger(), { redis: services.redis, commandReplyBudgetMs: 50 });
    services.commandDelayMs = 300;
    services.commandReply = { text: 'Model set to **openai/gpt-4o** for this channel.', ephemeral: false };
    const slow = fake.slashCommand({ name: 'model', options: { name: 'openai/gpt-4o' } });
    const isReply = (content: string) => content === 'Model set to **openai/gpt-4o** for this channel.';
    await fake.waitFor(() => fake.botMessagesIn(fake.channel.id).some((message) => isReply(message.content) && !(message.flags & MessageFlag.Ephemeral)), 'the public reply');
    expect(fake.interaction(slow.id)?.callbackType).toBe(5);
    // Only the public copy is left: the private deferral that carried it first is gone.
    await fake.waitFor(() => fake.botMessagesIn(fake.channel.id).filter((message) => isReply(message.content)).length === 1, 'the private copy removed');
    expect(fake.botMessagesIn(fake.channel.id).filter((message) => message.flags & MessageFlag.Ephemeral)).toEqual([]);
    const writes = fake.requests.filter((request) => request.path.startsWith('/webhooks/') && request.method !== 'DELETE');
    expect(writes.length).toBeGreaterThan(0);
    for (const request of writes) expect(request.allowedMentions).toMatchObject({ parse: [] });
  });

  it('lets the asker stop an answer and refuses anyone else', async () => {
    await startIngress();
    const question = fake.userSays({ content: 'long story please', mentionBot: true });
    const placeholder = await fake.waitFor(() => fake.botMessagesIn(fake.channel.id)[0], 'the placeholder');
    await fake.waitFor(() => services.jobs.length === 1, 'the job');
    const jobId = jobIdFor('discord', question.id);

    const stranger = fake.clickButton({ messageId: placeholder.id, customId: `ofox:stop:${jobId}`, user: fake.bob });
    await fake.waitFor(() => fake.interaction(stranger.id)?.callbackType, 'the refusal');
    expect(fake.interaction(stranger.id)?.callbackType).toBe(4);
    expect(fake.message(fake.interaction(stranger.id)?.responseMessageId ?? '')?.content).toMatch(/only the person who asked/i);
    expect(services.cancels).toHaveLength(0);

    const asker = fake.clickButton({ messageId: placeholder.id, customId: `ofox:stop:${jobId}` });
    await fake.waitFor(() => fake.interaction(asker.id)?.callbackType, 'the acknowledgement');
    expect(fake.interaction(asker.id)?.callbackType).toBe(6);
    expect(services.cancels).toEqual([{ jobId, requestedBy: fake.alice.id }]);
  });

  it('passes approval clicks on and tells a refused clicker why, privately', async () => {
    await startIngress();
    const approval = fake.userSays({ content: 'approval message stand-in', author: fake.bob });
    services.approvalResult = { status: 'not-allowed', message: 'Only alice or an admin can decide.' };
    const click = fake.clickButton({ messageId: approval.id, customId: 'ofox:approve:appr-1', user: fake.bob });
    await fake.waitFor(() => fake.interaction(click.id)?.callbackType, 'the reply');
    expect(services.clicks).toEqual([
      { approvalId: 'appr-1', userId: fake.bob.id, isAdmin: false, decision: 'approve', platform: 'discord', workspaceId: fake.guild.id, channelId: approval.channel_id, groups: [fake.guild.id] },
    ]);
    const reply = fake.message(fake.interaction(click.id)?.responseMessageId ?? '');
    expect(reply?.content).toBe('Only alice or an admin can decide.');
    expect((reply?.flags ?? 0) & MessageFlag.Ephemeral).toBe(MessageFlag.Ephemeral);

    services.approvalResult = { status: 'accepted', toolName: 'fetch_url' };
    const accepted = fake.clickButton({ messageId: approval.id, customId: 'ofox:deny:appr-1' });
    await fake.waitFor(() => fake.interaction(accepted.id)?.callbackType, 'the acknowledgement');
    expect(fake.interaction(accepted.id)?.callbackType).toBe(6);
    expect(services.clicks[1]?.decision).toBe('deny');
  });

  it('answers an unknown button privately instead of crashing', async () => {
    await startIngress();
    const message = fake.userSays({ content: 'x', author: fake.bob });
    const click = fake.clickButton({ messageId: message.id, customId: 'someone-elses:button' });
    await fake.waitFor(() => fake.interaction(click.id)?.callbackType, 'the reply');
    fake.userSays({ content: 'still alive?', mentionBot: true });
    await fake.waitFor(() => services.jobs.length === 1, 'a job after the odd click');
  });

  it('registers the commands in the configured guild, or globally', async () => {
    const guild = await registerDiscordCommands(discordConfig(fake, testRedisUrl(), prefix, { DISCORD_GUILD_ID: fake.guild.id }));
    expect(guild).toEqual({ scope: 'guild', count: DISCORD_COMMANDS.length });
    expect(fake.state.commands.get(fake.guild.id)?.map((command) => (command as { name: string }).name)).toEqual(['ask', 'model', 'image-model', 'persona', 'reasoning', 'tools', 'usage', 'budget', 'access', 'audit', 'help']);
    const global = await registerDiscordCommands(discordConfig(fake, testRedisUrl(), prefix));
    expect(global.scope).toBe('global');
    expect(fake.requestsTo('PUT', /^\/applications\/\d+\/commands$/)).toHaveLength(1);
  });
});
