import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommandService, type CommandService } from '../../src/commands/index.ts';
import { createGovernance, EMPTY_GOVERNANCE_CONFIG, type Governance } from '../../src/governance/index.ts';
import type { CommandInvocation } from '../../src/ingress/services.ts';
import type { ModelInfo } from '../../src/llm/types.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { SettingsStore } from '../../src/settings/index.ts';
import { ToolCatalog } from '../../src/tools/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

/** `image-model`: the image tool's model per channel, set like `model`, checked against the image models listed. */

const MODELS: ModelInfo[] = [
  { id: 'openai/gpt-4o', outputsImages: false },
  { id: 'openai/gpt-image-2', outputsImages: true, pricing: { perImage: 0.04 } },
  // The list does not say what this one outputs: its name does.
  { id: 'google/gemini-3.1-flash-image-preview' },
  { id: 'anthropic/claude-sonnet-4.5' },
];

describe('the image-model command', () => {
  let prefix: string;
  let redis: Redis;
  let settings: SettingsStore;
  let governance: Governance;
  let service: CommandService;
  let listModels: () => Promise<ModelInfo[]>;
  const scope = { platform: 'slack', workspaceId: 'T1', channelId: 'C1' };
  const invoke = (args = '', overrides: Partial<CommandInvocation> = {}) =>
    service.runCommand({ ...scope, userId: 'UADMIN', isAdmin: true, name: 'image-model', args, ...overrides });

  beforeEach(() => {
    prefix = newTestPrefix('image-model');
    redis = new Redis(testRedisUrl());
    settings = new SettingsStore({ redis, prefix });
    listModels = async () => MODELS;
    governance = createGovernance({ redis, prefix, config: EMPTY_GOVERNANCE_CONFIG, listModels: async () => MODELS, log: silentLogger() });
    service = createCommandService({
      settings,
      catalog: new ToolCatalog({ sources: [] }),
      listModels: () => listModels(),
      defaultModel: 'openai/gpt-4o',
      defaultImageModel: 'openai/gpt-image-2',
      usage: { report: async () => ({ days: [] }), top: async () => [] },
      governance,
    });
  });
  afterEach(async () => {
    redis.disconnect();
    await deleteKeys(prefix);
  });

  it('shows the default image model to anyone, privately, and lists only image models', async () => {
    expect(await invoke('', { isAdmin: false })).toEqual({
      ephemeral: true,
      text: "**Image model:** `openai/gpt-image-2` (the bot's default), used by the `image` tool.\nAdmins change it with `image-model <provider/name>`, add `--workspace` for the whole workspace, or `image-model clear` to inherit.",
    });
    expect((await invoke('list', { isAdmin: false })).text.split('\n')[1]).toBe('Image models: `google/gemini-3.1-flash-image-preview`, `openai/gpt-image-2`.');
  });

  it('an admin sets it for the channel (a bare name will do), the channel is told, and the change is audited', async () => {
    expect(await invoke('gemini-3.1-flash-image-preview')).toEqual({ ephemeral: false, text: 'Image model for this channel set to `google/gemini-3.1-flash-image-preview`.' });
    expect((await settings.resolve(scope)).imageModel).toBe('google/gemini-3.1-flash-image-preview');
    const [entry] = await governance.audit.recent({ limit: 5 });
    expect(entry).toMatchObject({ actor: 'UADMIN', action: 'settings', target: 'image model (channel)', before: '(unset)', after: 'google/gemini-3.1-flash-image-preview' });
  });

  it('refuses a chat model and an unknown one, naming the image models', async () => {
    expect(await invoke('openai/gpt-4o')).toEqual({
      ephemeral: true,
      text: '`openai/gpt-4o` does not draw images. Image models: `google/gemini-3.1-flash-image-preview`, `openai/gpt-image-2`.',
    });
    expect(await invoke('openai/dall-e-9')).toEqual({
      ephemeral: true,
      text: 'Unknown image model `openai/dall-e-9`. Image models: `google/gemini-3.1-flash-image-preview`, `openai/gpt-image-2`.',
    });
    expect((await settings.resolve(scope)).imageModel).toBeUndefined();
  });

  it('a member cannot change it', async () => {
    expect((await invoke('openai/gpt-image-2', { isAdmin: false })).text).toMatch(/^Only admins can change the image model:/);
    expect((await settings.resolve(scope)).imageModel).toBeUndefined();
  });

  it('the workspace setting applies until a channel sets its own; clear inherits again', async () => {
    await invoke('openai/gpt-image-2 --workspace');
    await invoke('google/gemini-3.1-flash-image-preview');
    expect((await invoke('', { isAdmin: false })).text.split('\n').slice(0, 2)).toEqual([
      '**Image model:** `google/gemini-3.1-flash-image-preview` (set for this channel), used by the `image` tool.',
      'Workspace setting: `openai/gpt-image-2`.',
    ]);
    expect(await invoke('clear')).toEqual({ ephemeral: false, text: 'The image model setting for this channel was cleared; this channel now draws with `openai/gpt-image-2`.' });
    expect((await settings.get(scope, 'channel')).imageModel).toBeUndefined();
  });

  it('without a model list any provider/name is accepted with a note', async () => {
    listModels = async () => {
      throw new Error('gateway unreachable');
    };
    const reply = await invoke('vendor/new-image-model');
    expect(reply).toEqual({
      ephemeral: false,
      text: "Image model for this channel set to `vendor/new-image-model`.\n_The model list couldn't be checked right now (gateway unreachable), so the name was not verified._",
    });
    expect((await invoke('nonsense')).text).toBe("`nonsense` doesn't look like a model id; use the form provider/name, e.g. `openai/gpt-image-2`.");
  });

  it('autocompletes image models only', async () => {
    expect(await service.complete('image-model', '')).toEqual(['google/gemini-3.1-flash-image-preview', 'openai/gpt-image-2']);
    expect(await service.complete('model', '')).toEqual(['anthropic/claude-sonnet-4.5', 'google/gemini-3.1-flash-image-preview', 'openai/gpt-4o', 'openai/gpt-image-2']);
  });
});
