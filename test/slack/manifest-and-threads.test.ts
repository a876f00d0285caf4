import { readFileSync } from 'node:fs';
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { RedisAnsweredThreads } from '../../adapters/slack/index.ts';
import { configSchema } from '../../src/config.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

describe('the app manifest', () => {
  const manifest = parse(readFileSync(new URL('../../adapters/slack/manifest.yml', import.meta.url), 'utf8')) as {
    features: { slash_commands: Array<{ command: string; url: string }>; agent_view?: { agent_description?: string }; assistant_view?: unknown; bot_user: unknown };
    oauth_config: { scopes: { bot: string[] } };
    settings: { event_subscriptions: { request_url: string; bot_events: string[] }; interactivity: { is_enabled: boolean; request_url: string } };
  };

  it('declares the default slash command, interactivity and the agent view on /slack/events', () => {
    expect(manifest.features.slash_commands.map((command) => command.command)).toEqual([configSchema.parse({}).SLACK_COMMAND]);
    // The Agent messaging experience by default, matching SLACK_EXPERIENCE's default.
    expect(manifest.features.agent_view?.agent_description).toMatch(/^Ask OfoxAI/);
    expect(manifest.features.assistant_view).toBeUndefined();
    expect(configSchema.parse({}).SLACK_EXPERIENCE).toBe('agent');
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    for (const url of [manifest.settings.event_subscriptions.request_url, manifest.settings.interactivity.request_url, manifest.features.slash_commands[0]?.url]) {
      expect(url).toMatch(/\/slack\/events$/);
    }
  });

  it('subscribes to every event the ingress handles, with the scopes they need', () => {
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(expect.arrayContaining(['app_home_opened', 'app_mention', 'message.channels', 'message.im']));
    expect(manifest.oauth_config.scopes.bot).toEqual(
      expect.arrayContaining(['app_mentions:read', 'chat:write', 'commands', 'channels:history', 'im:history', 'assistant:write', 'files:read', 'users:read']),
    );
  });
});

describe('threads the bot answered', () => {
  const prefix = newTestPrefix('slack-threads');
  const redis = new Redis(testRedisUrl());
  afterAll(async () => {
    await deleteKeys(prefix);
    redis.disconnect();
  });

  it('are remembered in Redis so any gateway sees a follow-up', async () => {
    const one = new RedisAnsweredThreads(redis, { prefix });
    const other = new RedisAnsweredThreads(redis, { prefix });
    expect(await other.has('C1', '1.1')).toBe(false);
    await one.remember('C1', '1.1');
    expect(await other.has('C1', '1.1')).toBe(true);
    expect(await redis.ttl(`${prefix}:slack:thread:C1:1.1`)).toBeGreaterThan(0);
  });
});
