import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommandService, type CommandService } from '../../src/commands/index.ts';
import { FeedbackStore } from '../../src/feedback/index.ts';
import type { CommandInvocation } from '../../src/ingress/services.ts';
import { SettingsStore } from '../../src/settings/index.ts';
import { ToolCatalog } from '../../src/tools/index.ts';
import { UsageStore } from '../../src/usage/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

/** Admins see 👍 / 👎 per model and persona in `usage` (for its days) and `usage top` (for its period); members do not. */

const DAY_MS = 86_400_000;
const NOW = Date.UTC(2026, 11, 10, 12, 0, 0);

describe('feedback in the usage command', () => {
  let prefix: string;
  let redis: Redis;
  let feedback: FeedbackStore;
  let usage: UsageStore;
  let service: CommandService;
  let clock = NOW;
  const invoke = (args: string, overrides: Partial<CommandInvocation> = {}) =>
    service.runCommand({ platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'UADMIN', isAdmin: true, name: 'usage', args, ...overrides });

  beforeEach(async () => {
    prefix = newTestPrefix('usage-feedback');
    redis = new Redis(testRedisUrl());
    clock = NOW - 10 * DAY_MS;
    feedback = new FeedbackStore({ redis, prefix, now: () => clock });
    usage = new UsageStore({ redis, prefix, now: () => NOW });
    service = createCommandService({
      settings: new SettingsStore({ redis, prefix }),
      catalog: new ToolCatalog({ sources: [] }),
      listModels: async () => [],
      defaultModel: 'openai/gpt-4o',
      usage,
      feedback,
      now: () => NOW,
    });
    // Ten days ago: an answer by gpt-4o with a persona, voted down. Today: two answers, three votes.
    await feedback.recordAnswer({ jobId: 'old', platform: 'slack', workspaceId: 'T1', channelId: 'C1', model: 'openai/gpt-4o', persona: 'Pirate', messageIds: [] });
    await feedback.vote({ platform: 'slack', jobId: 'old', userId: 'U1', vote: 'down' });
    clock = NOW;
    await feedback.recordAnswer({ jobId: 'a1', platform: 'slack', workspaceId: 'T1', channelId: 'C1', model: 'openai/gpt-4o-mini', messageIds: [] });
    await feedback.recordAnswer({ jobId: 'a2', platform: 'slack', workspaceId: 'T1', channelId: 'C1', model: 'openai/gpt-4o-mini', messageIds: [] });
    await feedback.vote({ platform: 'slack', jobId: 'a1', userId: 'U1', vote: 'up' });
    await feedback.vote({ platform: 'slack', jobId: 'a2', userId: 'U1', vote: 'up' });
    await feedback.vote({ platform: 'slack', jobId: 'a2', userId: 'U2', vote: 'down' });
    await usage.record({ platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'UADMIN', model: 'openai/gpt-4o-mini', requests: 1, inputTokens: 100, outputTokens: 20, costNanoUsd: 1_000_000 });
  });
  afterEach(async () => {
    redis.disconnect();
    await deleteKeys(prefix);
  });

  it('admins see the last 7 days of feedback under their own usage', async () => {
    const text = (await invoke('')).text;
    expect(text.split('\n').slice(-2)).toEqual(['**Feedback on answers, the last 7 days**', '- `openai/gpt-4o-mini` · default persona: 👍 2 · 👎 1']);
  });

  it('usage top shows the feedback of its period', async () => {
    expect((await invoke('top 7d')).text.split('\n').slice(-2)).toEqual(['**Feedback on answers, the last 7 days**', '- `openai/gpt-4o-mini` · default persona: 👍 2 · 👎 1']);
    expect((await invoke('top 30d')).text.split('\n').slice(-3)).toEqual([
      '**Feedback on answers, the last 30 days**',
      '- `openai/gpt-4o-mini` · default persona: 👍 2 · 👎 1',
      '- `openai/gpt-4o` · persona “Pirate”: 👍 0 · 👎 1',
    ]);
  });

  it('members see no feedback', async () => {
    const text = (await invoke('', { userId: 'U1', isAdmin: false })).text;
    expect(text).not.toContain('Feedback');
    expect(text).not.toContain('👍');
  });
});
