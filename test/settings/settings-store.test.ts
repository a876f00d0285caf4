import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PERSONA_MAX_CHARS, SettingsStore, SettingsValidationError, type SettingsScope } from '../../src/settings/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

describe('SettingsStore', () => {
  let prefix: string;
  let redis: Redis;
  let store: SettingsStore;
  const channel: SettingsScope = { platform: 'discord', workspaceId: 'G1', channelId: 'C1' };
  const otherChannel: SettingsScope = { ...channel, channelId: 'C2' };
  const otherWorkspace: SettingsScope = { ...channel, workspaceId: 'G2' };

  beforeEach(() => {
    prefix = newTestPrefix('settings');
    redis = new Redis(testRedisUrl());
    store = new SettingsStore({ redis, prefix });
  });
  afterEach(async () => {
    redis.disconnect();
    await deleteKeys(prefix);
  });

  it('resolves to nothing set, with no tool toggles, for a fresh channel', async () => {
    await expect(store.resolve(channel)).resolves.toEqual({ tools: {} });
  });

  it('a channel inherits the workspace values it does not set, and overrides the ones it does', async () => {
    await store.update(channel, 'workspace', { model: 'openai/gpt-4o', persona: 'Be brief.', tools: { fetch_url: false, calculator: true } });
    await store.update(channel, 'channel', { model: 'anthropic/claude-sonnet-4.5', tools: { fetch_url: true, current_time: false } });
    await expect(store.resolve(channel)).resolves.toEqual({
      model: 'anthropic/claude-sonnet-4.5',
      persona: 'Be brief.',
      tools: { fetch_url: true, calculator: true, current_time: false },
    });
    await expect(store.resolve(otherChannel)).resolves.toEqual({
      model: 'openai/gpt-4o',
      persona: 'Be brief.',
      tools: { fetch_url: false, calculator: true },
    });
    await expect(store.resolve(otherWorkspace)).resolves.toEqual({ tools: {} });
  });

  it('get returns only what a level itself stores', async () => {
    await store.update(channel, 'workspace', { model: 'openai/gpt-4o' });
    await store.update(channel, 'channel', { persona: 'Pirate voice.' });
    await expect(store.get(channel, 'channel')).resolves.toEqual({ persona: 'Pirate voice.' });
    await expect(store.get(channel, 'workspace')).resolves.toEqual({ model: 'openai/gpt-4o' });
  });

  it('null in a patch removes the value so it inherits again', async () => {
    await store.update(channel, 'workspace', { model: 'openai/gpt-4o' });
    await store.update(channel, 'channel', { model: 'openai/gpt-4o-mini', tools: { calculator: false } });
    const after = await store.update(channel, 'channel', { model: null, tools: { calculator: null } });
    expect(after).toEqual({});
    await expect(store.resolve(channel)).resolves.toEqual({ model: 'openai/gpt-4o', tools: {} });
  });

  it('clear removes named fields or the whole level', async () => {
    await store.update(channel, 'channel', { model: 'openai/gpt-4o', persona: 'x', tools: { a: true, b: false } });
    await store.clear(channel, 'channel', ['tools']);
    await expect(store.get(channel, 'channel')).resolves.toEqual({ model: 'openai/gpt-4o', persona: 'x' });
    await store.clear(channel, 'channel', ['persona']);
    await expect(store.get(channel, 'channel')).resolves.toEqual({ model: 'openai/gpt-4o' });
    await store.clear(channel, 'channel');
    await expect(store.get(channel, 'channel')).resolves.toEqual({});
  });

  it(`refuses a persona over ${PERSONA_MAX_CHARS} characters with a clear error`, async () => {
    await expect(store.update(channel, 'channel', { persona: 'a'.repeat(PERSONA_MAX_CHARS) })).resolves.toBeDefined();
    const tooLong = store.update(channel, 'channel', { persona: 'a'.repeat(PERSONA_MAX_CHARS + 1) });
    await expect(tooLong).rejects.toBeInstanceOf(SettingsValidationError);
    await expect(store.update(channel, 'channel', { persona: 'a'.repeat(PERSONA_MAX_CHARS + 1) })).rejects.toThrow(
      'The persona is 4,001 characters; the limit is 4,000.',
    );
  });

  it('refuses malformed model and tool names', async () => {
    await expect(store.update(channel, 'channel', { model: 'has spaces in it' })).rejects.toThrow(/not a valid model id/);
    await expect(store.update(channel, 'channel', { tools: { 'bad name!': true } })).rejects.toThrow(/not a valid tool name/);
  });
});
