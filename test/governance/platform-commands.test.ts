import type { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startDiscordIngress, type DiscordIngress } from '../../adapters/discord/index.ts';
import { startSlackIngress, type SlackIngress } from '../../adapters/slack/index.ts';
import { createCommandService, type CommandService } from '../../src/commands/index.ts';
import { createGovernance, parseGovernanceConfig, type Governance } from '../../src/governance/index.ts';
import { createLlmClient } from '../../src/llm/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { SettingsStore } from '../../src/settings/index.ts';
import { ToolCatalog } from '../../src/tools/index.ts';
import { UsageStore } from '../../src/usage/index.ts';
import { discordConfig } from '../discord/support/discord-config.ts';
import { RecordingServices } from '../discord/support/recording-services.ts';
import { FakeDiscord, MessageFlag, Permission } from '../fakes/discord/index.ts';
import { startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';
import { FakeSlack, SlackEventSender } from '../fakes/slack/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { eventually, recordingServices, slackTestConfig } from '../slack/support.ts';
import { recordAnswer } from './record-answer.ts';
import { redisClient } from './support.ts';

/**
 * `/usage` and an audited settings change on each platform, through the real adapter, the real
 * command service and real Redis; prices come from the fake OfoxAI's model list.
 */

let ofox: FakeOfox;
let prefix: string;
let redis: Redis;
let governance: Governance;
let usage: UsageStore;
let commands: CommandService;

beforeAll(async () => {
  ofox = await startFakeOfox();
});

afterAll(async () => {
  await ofox.close();
});

beforeEach(() => {
  prefix = newTestPrefix('gov-platforms');
  redis = redisClient();
  const llm = createLlmClient({ apiKey: ofox.apiKey, openaiBaseUrl: ofox.openaiBaseUrl, anthropicBaseUrl: ofox.anthropicBaseUrl });
  governance = createGovernance({ redis, prefix, config: parseGovernanceConfig({ budgets: { user: { dailyUsd: 2 } } }), listModels: () => llm.listModels(), log: silentLogger() });
  usage = new UsageStore({ redis, prefix });
  commands = createCommandService({
    settings: new SettingsStore({ redis, prefix }),
    catalog: new ToolCatalog({ sources: [] }),
    listModels: () => llm.listModels(),
    defaultModel: 'openai/gpt-4o',
    usage,
    governance,
  });
});

afterEach(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

describe('on Discord', () => {
  let fake: FakeDiscord;
  let services: RecordingServices;
  let ingress: DiscordIngress;

  beforeEach(async () => {
    fake = await FakeDiscord.start();
    services = new RecordingServices(testRedisUrl(), prefix);
    services.runCommand = (command) => commands.runCommand(command);
    ingress = await startDiscordIngress(discordConfig(fake, testRedisUrl(), prefix, { DISCORD_ADMIN_ROLE_IDS: fake.adminRole.id }), services, silentLogger(), { redis: services.redis });
  });

  afterEach(async () => {
    await ingress.stop();
    await services.close();
    await fake.stop();
  });

  const replyTo = (interactionId: string) => fake.waitFor(() => fake.message(fake.interaction(interactionId)?.responseMessageId ?? ''), 'the reply');

  it('/usage shows your spend in dollars against your limit, privately', async () => {
    // 10,000 in (8,000 cached at $1.25/M) + 500 out on openai/gpt-4o: $0.005 + $0.01 + $0.005.
    await recordAnswer(governance, usage, { platform: 'discord', workspaceId: fake.guild.id, channelId: fake.channel.id, userId: fake.alice.id }, 'openai/gpt-4o', { input: 10_000, output: 500, cached: 8_000 });
    const interaction = fake.slashCommand({ name: 'usage' });
    const reply = await replyTo(interaction.id);
    expect(reply.flags & MessageFlag.Ephemeral).toBe(MessageFlag.Ephemeral);
    expect(reply.content).toContain('**Your spend** (US dollars)');
    expect(reply.content).toMatch(/- Today: \$0\.02 \(of \$2\.00 daily limit, \$1\.98 left, resets 00:00 UTC/);
    expect(reply.content).toContain('- **You:** $0.02, 1 request, 10,000 tokens in (8,000 cached) / 500 out');
  });

  it('a settings change made with /model (scope: whole server) goes to the audit trail, and /audit shows it', async () => {
    const change = fake.slashCommand({ name: 'model', options: { name: 'openai/gpt-4o-mini', scope: 'workspace' }, roles: [fake.adminRole.id] });
    expect((await replyTo(change.id)).content).toBe('Model for the whole workspace set to `openai/gpt-4o-mini`.');
    const [entry] = await governance.audit.recent({ limit: 5 });
    expect(entry).toMatchObject({ platform: 'discord', workspaceId: fake.guild.id, channelId: fake.channel.id, actor: fake.alice.id, action: 'settings', target: 'model (workspace)', before: '(unset)', after: 'openai/gpt-4o-mini' });

    const audit = fake.slashCommand({ name: 'audit', permissions: Permission.ManageGuild | Permission.ViewChannel });
    const shown = await replyTo(audit.id);
    expect(shown.content).toContain(`${fake.alice.id} in ${fake.channel.id} · settings: model (workspace): (unset) → openai/gpt-4o-mini`);
    expect(shown.flags & MessageFlag.Ephemeral).toBe(MessageFlag.Ephemeral);
  });
});

describe('on Slack', () => {
  let slack: FakeSlack;
  let ingress: SlackIngress;
  let sender: SlackEventSender;

  beforeEach(async () => {
    slack = await new FakeSlack().start();
    slack.addUser('UALICE', 'alice');
    const services = recordingServices();
    services.runCommand = (command) => commands.runCommand(command);
    ingress = await startSlackIngress(slackTestConfig(slack, { SLACK_ADMIN_USER_IDS: 'UADMIN' }), services, silentLogger(), { port: 0 });
    sender = new SlackEventSender({ url: `http://127.0.0.1:${ingress.port}/slack/events`, signingSecret: 'test-signing-secret', slack });
  });

  afterEach(async () => {
    await ingress.stop();
    await slack.stop();
  });

  const replyTo = (id: string) => eventually(() => slack.responses.find((response) => response.id === id)?.body);

  it('/ofox usage shows your spend in dollars against your limit, privately', async () => {
    await recordAnswer(governance, usage, { platform: 'slack', workspaceId: slack.teamId, channelId: 'C1', userId: 'UALICE' }, 'anthropic/claude-sonnet-4.5', { input: 2_000, output: 1_000 });
    const sent = await sender.slashCommand({ command: '/ofox', text: 'usage', user: 'UALICE', channel: 'C1' });
    const body = await replyTo(sent.responseId);
    expect(body.response_type).toBe('ephemeral');
    // 2,000 × $3/M + 1,000 × $15/M = $0.021.
    expect(String(body.text)).toContain('*Your spend* (US dollars)');
    expect(String(body.text)).toMatch(/• Today: \$0\.021 \(of \$2\.00 daily limit, \$1\.98 left, resets 00:00 UTC/);
  });

  it('a settings change made with /ofox persona goes to the audit trail, and /ofox audit shows it', async () => {
    const change = await sender.slashCommand({ command: '/ofox', text: 'persona Answer in one sentence.', user: 'UADMIN', channel: 'C1' });
    expect((await replyTo(change.responseId)).response_type).toBe('in_channel');
    const [entry] = await governance.audit.recent({ limit: 5 });
    expect(entry).toMatchObject({ platform: 'slack', workspaceId: slack.teamId, channelId: 'C1', actor: 'UADMIN', action: 'settings', target: 'persona (channel)', before: '(unset)', after: 'Answer in one sentence.' });
    const audit = await sender.slashCommand({ command: '/ofox', text: 'audit', user: 'UADMIN', channel: 'C1' });
    expect(String((await replyTo(audit.responseId)).text)).toContain('UADMIN in C1 · settings: persona (channel): (unset) → Answer in one sentence.');
    const refused = await sender.slashCommand({ command: '/ofox', text: 'audit', user: 'UALICE', channel: 'C1' });
    expect((await replyTo(refused.responseId)).text).toBe('Only admins can read the audit trail.');
  });

  it('/ofox help describes the Slack subcommands, budgets and access included, when the platform words its own help', async () => {
    const slackWorded = createCommandService({
      settings: new SettingsStore({ redis, prefix }),
      catalog: new ToolCatalog({ sources: [] }),
      listModels: async () => [],
      defaultModel: 'openai/gpt-4o',
      usage,
      helpFor: (platform) => (platform === 'slack' ? '' : undefined),
    });
    commands = slackWorded;
    const help = await sender.slashCommand({ command: '/ofox', text: 'help', user: 'UALICE', channel: 'C1' });
    const text = String((await replyTo(help.responseId)).text);
    for (const line of ['*/ofox usage*', '*/ofox budget*', '*/ofox access*', '*/ofox audit [n]*']) expect(text).toContain(line);
  });
});
