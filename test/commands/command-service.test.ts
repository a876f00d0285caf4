import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createCommandService, type CommandService } from '../../src/commands/index.ts';
import type { CommandInvocation } from '../../src/ingress/services.ts';
import type { ModelInfo } from '../../src/llm/types.ts';
import { SettingsStore } from '../../src/settings/index.ts';
import { defineTool, ToolCatalog } from '../../src/tools/index.ts';
import type { UsageReader, UsageReport } from '../../src/usage/types.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

const MODELS: ModelInfo[] = [
  { id: 'openai/gpt-4o' },
  { id: 'openai/gpt-4o-mini' },
  { id: 'anthropic/claude-sonnet-4.5' },
  { id: 'google/gemini-2.5-pro' },
];

const tool = (name: string, enabledByDefault = true) =>
  defineTool({ name, description: `${name} does things. More detail.`, input: z.object({}), policy: { enabledByDefault }, run: async () => '' });

describe('commands', () => {
  let prefix: string;
  let redis: Redis;
  let settings: SettingsStore;
  let service: CommandService;
  let listModels: () => Promise<ModelInfo[]>;
  let usageReport: UsageReport;
  let usageCalls: Array<{ scope: unknown; days: number | undefined }>;

  const invoke = (name: CommandInvocation['name'], args = '', overrides: Partial<CommandInvocation> = {}) =>
    service.runCommand({ platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'U1', isAdmin: true, name, args, ...overrides });
  const asMember = { isAdmin: false };
  const scope = { platform: 'slack', workspaceId: 'T1', channelId: 'C1' };

  beforeEach(() => {
    prefix = newTestPrefix('commands');
    redis = new Redis(testRedisUrl());
    settings = new SettingsStore({ redis, prefix });
    listModels = async () => MODELS;
    usageReport = { days: [] };
    usageCalls = [];
    const usage: UsageReader = {
      async report(scope, days) {
        usageCalls.push({ scope, days });
        return usageReport;
      },
      async top() {
        return [];
      },
    };
    service = createCommandService({
      settings,
      catalog: new ToolCatalog({ sources: [[tool('current_time'), tool('calculator'), tool('fetch_url', false)]] }),
      listModels: () => listModels(),
      defaultModel: 'openai/gpt-4o',
      usage,
    });
  });
  afterEach(async () => {
    redis.disconnect();
    await deleteKeys(prefix);
  });

  describe('model', () => {
    it('shows the default model to anyone, privately', async () => {
      const reply = await invoke('model', '', asMember);
      expect(reply.ephemeral).toBe(true);
      expect(reply.text).toContain("**Model:** `openai/gpt-4o` (the bot's default)");
    });

    it('an admin sets the channel model and the channel is told', async () => {
      const reply = await invoke('model', 'anthropic/claude-sonnet-4.5');
      expect(reply).toEqual({ ephemeral: false, text: 'Model for this channel set to `anthropic/claude-sonnet-4.5`.' });
      await expect(settings.resolve(scope)).resolves.toMatchObject({ model: 'anthropic/claude-sonnet-4.5' });
    });

    it('--workspace (or a leading "workspace") sets the workspace default', async () => {
      await invoke('model', 'openai/gpt-4o-mini --workspace');
      await expect(settings.get(scope, 'workspace')).resolves.toEqual({ model: 'openai/gpt-4o-mini' });
      await invoke('model', 'workspace google/gemini-2.5-pro');
      await expect(settings.get(scope, 'workspace')).resolves.toEqual({ model: 'google/gemini-2.5-pro' });
      expect((await invoke('model')).text).toContain('`google/gemini-2.5-pro` (the workspace setting)');
    });

    it('accepts a bare model name when one provider offers it', async () => {
      expect((await invoke('model', 'gpt-4o-mini')).text).toContain('`openai/gpt-4o-mini`');
    });

    it('a non-admin cannot change it, and is told who can', async () => {
      const reply = await invoke('model', 'openai/gpt-4o-mini', asMember);
      expect(reply.ephemeral).toBe(true);
      expect(reply.text).toMatch(/Only admins can change the model: on Discord, .*Manage Server.*on Slack, the users listed as bot admins/);
      await expect(settings.get(scope, 'channel')).resolves.toEqual({});
    });

    it('an unknown model is refused, listing what is available', async () => {
      const reply = await invoke('model', 'openai/gpt-5');
      expect(reply.ephemeral).toBe(true);
      expect(reply.text).toBe(
        'Unknown model `openai/gpt-5`. Available: `anthropic/claude-sonnet-4.5`, `google/gemini-2.5-pro`, `openai/gpt-4o`, `openai/gpt-4o-mini`.',
      );
    });

    it('a long model list shows the closest matches first', async () => {
      listModels = async () => [...MODELS, ...Array.from({ length: 30 }, (_, index) => ({ id: `vendor/model-${index}` }))];
      const reply = await invoke('model', 'claude-sonet-4.5');
      expect(reply.text).toMatch(/^Unknown model `claude-sonet-4\.5`\. Available: `anthropic\/claude-sonnet-4\.5`, /);
      expect(reply.text).toMatch(/and \d+ more\.$/);
    });

    it('when the model list cannot be fetched, any provider/name is accepted with a note', async () => {
      listModels = async () => {
        throw new Error('gateway unreachable');
      };
      const reply = await invoke('model', 'mistral/mistral-large');
      expect(reply.ephemeral).toBe(false);
      expect(reply.text).toContain("The model list couldn't be checked right now (gateway unreachable)");
      expect((await invoke('model', 'not a model')).text).toMatch(/Give one model id/);
      expect((await invoke('model', 'nonsense')).text).toMatch(/doesn't look like a model id/);
    });

    it('model clear returns the channel to the inherited model', async () => {
      await invoke('model', 'openai/gpt-4o-mini --workspace');
      await invoke('model', 'google/gemini-2.5-pro');
      const reply = await invoke('model', 'clear');
      expect(reply).toMatchObject({ ephemeral: false, text: expect.stringContaining('this channel now uses `openai/gpt-4o-mini`') });
    });
  });

  describe('persona', () => {
    it('an admin sets and clears it; anyone can read it', async () => {
      expect((await invoke('persona', '', asMember)).text).toContain('No persona is set');
      const set = await invoke('persona', 'You are a helpful pirate.');
      expect(set.ephemeral).toBe(false);
      expect(set.text).toContain('> You are a helpful pirate.');
      expect((await invoke('persona', '', asMember)).text).toContain('**Persona** (set for this channel):\n> You are a helpful pirate.');
      await invoke('persona', 'clear');
      await expect(settings.resolve(scope)).resolves.not.toHaveProperty('persona');
    });

    it('a non-admin cannot set it', async () => {
      expect((await invoke('persona', 'Be rude.', asMember)).text).toMatch(/Only admins can change the persona/);
    });

    it('a persona that is too long is refused privately', async () => {
      const reply = await invoke('persona', 'x'.repeat(4_001));
      expect(reply).toEqual({ ephemeral: true, text: 'The persona is 4,001 characters; the limit is 4,000.' });
    });
  });

  describe('reasoning', () => {
    it('anyone reads it (status by default); an admin sets it per channel or workspace and clears it', async () => {
      expect((await invoke('reasoning', '', asMember)).text).toMatch(/^\*\*Reasoning\*\*: `status` \(the default\)/);
      expect(await invoke('reasoning', 'summary')).toEqual({ ephemeral: false, text: 'Reasoning for this channel is now `summary`: the latest line of the reasoning, in small print, while it streams.' });
      await expect(settings.resolve(scope)).resolves.toMatchObject({ reasoning: 'summary' });
      expect((await invoke('reasoning', 'full --workspace')).text).toBe(
        'Reasoning for the whole workspace is now `full`: "thinking…" while it streams, then the whole reasoning as a text file beside the answer.\nThis channel keeps its own setting, `summary`; clear it with `reasoning clear` to follow the workspace.',
      );
      expect((await invoke('reasoning', 'clear')).text).toMatch(/^The reasoning setting for this channel was cleared; this channel now shows `full`/);
      expect((await invoke('reasoning', '', asMember)).text).toMatch(/^\*\*Reasoning\*\*: `full` \(the workspace setting\)/);
    });

    it('refuses a non-admin and an unknown mode privately', async () => {
      expect((await invoke('reasoning', 'off', asMember)).text).toMatch(/^Only admins can change how reasoning is shown/);
      expect(await invoke('reasoning', 'loud')).toEqual({ ephemeral: true, text: '"loud" is not a reasoning mode; use one of off, status, summary, full.' });
      await expect(settings.resolve(scope)).resolves.not.toHaveProperty('reasoning');
    });
  });

  describe('tools', () => {
    it('lists tools with their state for anyone', async () => {
      const reply = await invoke('tools', '', asMember);
      expect(reply.ephemeral).toBe(true);
      expect(reply.text).toContain('- on  `calculator` — calculator does things. _(built-in, default)_');
      expect(reply.text).toContain('- off `fetch_url`');
    });

    it('an admin enables and disables tools for the channel or the workspace', async () => {
      expect(await invoke('tools', 'enable fetch_url')).toEqual({ ephemeral: false, text: '`fetch_url` is now enabled for this channel.' });
      await invoke('tools', 'disable calculator --workspace');
      await expect(settings.resolve(scope)).resolves.toEqual({ tools: { fetch_url: true, calculator: false } });
      expect((await invoke('tools')).text).toContain('- off `calculator` — calculator does things. _(built-in, workspace setting)_');
      await invoke('tools', 'reset fetch_url');
      await expect(settings.get(scope, 'channel')).resolves.toEqual({});
    });

    it('a non-admin cannot toggle tools', async () => {
      expect((await invoke('tools', 'enable fetch_url', asMember)).text).toMatch(/Only admins can change which tools are on/);
    });

    it('an unknown tool is refused, listing the available ones', async () => {
      const reply = await invoke('tools', 'enable fetch');
      expect(reply).toEqual({ ephemeral: true, text: 'Unknown tool `fetch`. Available: `current_time`, `calculator`, `fetch_url`.' });
    });
  });

  describe('usage', () => {
    const totals = (requests: number, inputTokens: number, outputTokens: number, costNanoUsd: number, cachedInputTokens = 0) => ({ requests, inputTokens, outputTokens, cachedInputTokens, costNanoUsd, images: 0 });

    it('formats the report for you and the channel, in dollars', async () => {
      usageReport = {
        days: [
          { day: '2026-11-24', user: totals(3, 1_200, 800, 12_000_000, 200), channel: totals(10, 15_000, 4_000, 95_000_000) },
          { day: '2026-11-23', user: totals(0, 0, 0, 0), channel: totals(0, 0, 0, 0) },
          { day: '2026-11-22', user: totals(1, 100, 50, 750_000), channel: totals(1, 100, 50, 750_000) },
        ],
      };
      const reply = await invoke('usage', '', asMember);
      expect(usageCalls).toEqual([{ scope: { platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'U1' }, days: 7 }]);
      expect(reply).toEqual({
        ephemeral: true,
        text: [
          '**Last 7 days**',
          '- **You:** $0.0128, 4 requests, 1,300 tokens in (200 cached) / 850 out',
          '- **This channel:** $0.0958, 11 requests, 15,100 tokens in / 4,050 out',
          '',
          '**By day** (you · this channel)',
          '- 2026-11-24: $0.012, 3 requests, 1,200 tokens in (200 cached) / 800 out · $0.095, 10 requests, 15,000 tokens in / 4,000 out',
          '- 2026-11-22: $0.0008, 1 request, 100 tokens in / 50 out · $0.0008, 1 request, 100 tokens in / 50 out',
        ].join('\n'),
      });
    });

    it('says so when nothing was recorded', async () => {
      expect((await invoke('usage')).text).toBe('No answers recorded in the last 7 days.');
    });

    it('budgets, access and the audit trail say they are off without governance', async () => {
      expect((await invoke('budget')).text).toBe('Budgets are off: governance is not set up on this bot.');
      expect((await invoke('access')).text).toBe('Access rules are off: governance is not set up on this bot.');
      expect((await invoke('audit')).text).toBe('The audit trail is off: governance is not set up on this bot.');
    });
  });

  it('help lists every command in platform-neutral words', async () => {
    const reply = await invoke('help', '', asMember);
    expect(reply.ephemeral).toBe(true);
    for (const command of ['`model`', '`image-model`', '`persona`', '`tools`', '`usage`', '`budget`', '`access`', '`audit`', '`help`', '--workspace']) expect(reply.text).toContain(command);
    expect(reply.text).toMatch(/Discord.*Slack/);
  });

  it('a storage failure becomes a private apology instead of an exception', async () => {
    const broken = new Redis(testRedisUrl(), { lazyConnect: true, enableOfflineQueue: false, maxRetriesPerRequest: 0 });
    const failing = createCommandService({
      settings: new SettingsStore({ redis: broken, prefix }),
      catalog: new ToolCatalog({ sources: [] }),
      listModels: async () => MODELS,
      defaultModel: 'openai/gpt-4o',
      usage: { report: async () => ({ days: [] }), top: async () => [] },
    });
    const reply = await failing.runCommand({ ...scope, userId: 'U1', isAdmin: false, name: 'model', args: '' });
    expect(reply.ephemeral).toBe(true);
    expect(reply.text).toMatch(/^Sorry, `model` failed: /);
    broken.disconnect();
  });
});
