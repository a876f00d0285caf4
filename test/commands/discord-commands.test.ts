import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { AutocompleteInteraction, ChatInputCommandInteraction, Client } from 'discord.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { respondToAutocomplete } from '../../adapters/discord/autocomplete.ts';
import { commandArgs, DISCORD_COMMANDS, discordHelpText, isSettingsCommand } from '../../adapters/discord/commands.ts';
import { createCommandService } from '../../src/commands/index.ts';
import type { CommandInvocation } from '../../src/commands/types.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { ToolCatalog } from '../../src/tools/index.ts';
import type { SettingsStore } from '../../src/settings/index.ts';

/**
 * Discord's side of the shared commands: every option the core understands can be picked in the
 * command UI (turned back into the core's argument text), model names autocomplete closest first,
 * and /help describes the commands Discord registers. Interactions are real discord.js objects
 * built from gateway payloads; the autocomplete answer goes over HTTP to a loopback recorder.
 */

const USER = { id: '111111111111111111', username: 'alice', discriminator: '0', global_name: 'Alice', avatar: null };
let server: Server;
let client: Client;
const callbacks: Array<{ path: string; body: { type: number; data: { choices: Array<{ name: string; value: string }> } } }> = [];

beforeAll(async () => {
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      callbacks.push({ path: request.url ?? '', body: JSON.parse(Buffer.concat(chunks).toString('utf8')) });
      response.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  client = new Client({ intents: [], rest: { api: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api` } });
});

afterAll(async () => {
  await client.destroy();
  await new Promise((resolve) => server.close(resolve));
});

let counter = 0;
function payload(type: number, name: string, options: unknown[], resolved?: unknown): Record<string, unknown> {
  counter += 1;
  return {
    id: `90000000000000000${counter}`,
    application_id: '222222222222222222',
    type,
    token: `token-${counter}`,
    version: 1,
    channel_id: '333333333333333333',
    user: USER,
    locale: 'en-US',
    app_permissions: '0',
    entitlements: [],
    authorizing_integration_owners: {},
    context: 1,
    data: { id: '444444444444444444', name, type: 1, options, ...(resolved ? { resolved } : {}) },
  };
}

function slash(name: string, options: unknown[], resolved?: unknown): ChatInputCommandInteraction {
  return Reflect.construct(ChatInputCommandInteraction, [client, payload(2, name, options, resolved)]) as ChatInputCommandInteraction;
}

const string = (name: string, value: string) => ({ name, type: 3, value });
const bool = (name: string, value: boolean) => ({ name, type: 5, value });
const sub = (name: string, options: unknown[]) => ({ name, type: 1, options });
const args = (interaction: ChatInputCommandInteraction) => commandArgs(interaction, interaction.commandName as CommandInvocation['name']);

describe('Discord options become the core command arguments', () => {
  it('scope and reset on model, persona and tools', () => {
    expect(args(slash('model', [string('name', 'openai/gpt-4o'), string('scope', 'workspace')]))).toBe('openai/gpt-4o --workspace');
    expect(args(slash('model', [bool('reset', true), string('scope', 'channel')]))).toBe('clear');
    expect(args(slash('image-model', [string('image_model', 'openai/gpt-image-2'), string('scope', 'workspace')]))).toBe('openai/gpt-image-2 --workspace');
    expect(args(slash('image-model', [bool('reset', true)]))).toBe('clear');
    expect(args(slash('persona', [bool('reset', true), string('scope', 'workspace')]))).toBe('clear --workspace');
    expect(args(slash('tools', [string('action', 'reset'), string('tool', 'fetch_url'), string('scope', 'workspace')]))).toBe('reset fetch_url --workspace');
  });

  it('usage views, budgets, access lists and the audit count', () => {
    expect(args(slash('usage', [string('view', 'top'), string('period', '30d')]))).toBe('top 30d');
    expect(args(slash('usage', [string('cost_footer', 'on')]))).toBe('footer on');
    const resolved = { users: { [USER.id]: USER } };
    expect(args(slash('budget', [sub('set', [string('target', 'user'), string('period', 'daily'), string('amount', '2.50'), { name: 'user', type: 6, value: USER.id }])], resolved))).toBe(
      `set user ${USER.id} daily 2.50`,
    );
    expect(args(slash('budget', [sub('reset', [string('target', 'channel'), string('period', 'monthly'), string('unit', 'tokens')])]))).toBe('reset channel monthly tokens');
    expect(args(slash('budget', [sub('show', [])]))).toBe('');
    const role = { id: '555555555555555555', name: 'interns', color: 0, hoist: false, position: 1, permissions: '0', managed: false, mentionable: false, flags: 0 };
    expect(args(slash('access', [sub('add', [string('list', 'deny'), { name: 'role', type: 8, value: role.id }, string('scope', 'workspace')])], { roles: { [role.id]: role } }))).toBe(
      `deny group ${role.id} --workspace`,
    );
    expect(args(slash('access', [sub('remove', [string('list', 'approver'), { name: 'user', type: 6, value: USER.id }])], resolved))).toBe(`remove approver user ${USER.id}`);
    expect(args(slash('access', [sub('dms', [string('value', 'off')])]))).toBe('dms off');
    expect(args(slash('audit', [{ name: 'count', type: 4, value: 5 }]))).toBe('5');
  });

  it('the core accepts what every Discord option produces', async () => {
    const service = createCommandService({
      settings: {} as SettingsStore,
      catalog: new ToolCatalog({ sources: [] }),
      listModels: async () => [],
      defaultModel: 'openai/gpt-4o',
      usage: { report: async () => ({ days: [] }), top: async () => [] },
    });
    // Every registered command but /ask reaches the core as a command it knows.
    for (const command of DISCORD_COMMANDS.filter((command) => command.name !== 'ask')) {
      expect(isSettingsCommand(command.name)).toBe(true);
      const reply = await service.runCommand({ platform: 'discord', workspaceId: 'G', channelId: 'C', userId: 'U', isAdmin: false, name: command.name as CommandInvocation['name'], args: 'help' });
      expect(reply.text).not.toMatch(/^Unknown command/);
    }
  });
});

describe('autocomplete', () => {
  it('answers model names closest first, as the commands rank them', async () => {
    const service = createCommandService({
      settings: {} as SettingsStore,
      catalog: new ToolCatalog({ sources: [] }),
      listModels: async () => [{ id: 'openai/gpt-4o' }, { id: 'openai/gpt-4o-mini' }, { id: 'anthropic/claude-sonnet-4.5' }, { id: 'anthropic/claude-opus-4' }],
      defaultModel: 'openai/gpt-4o',
      usage: { report: async () => ({ days: [] }), top: async () => [] },
    });
    const interaction = Reflect.construct(AutocompleteInteraction, [client, payload(4, 'model', [{ ...string('name', 'claude-sonet'), focused: true }])]) as AutocompleteInteraction;
    await respondToAutocomplete(interaction, (field, query) => service.complete(field, query), silentLogger());
    const callback = callbacks.at(-1);
    expect(callback?.path).toBe(`/api/v10/interactions/${interaction.id}/${interaction.token}/callback`);
    expect(callback?.body.type).toBe(8);
    expect(callback?.body.data.choices.map((choice) => choice.value)).toEqual(['anthropic/claude-sonnet-4.5', 'anthropic/claude-opus-4', 'openai/gpt-4o', 'openai/gpt-4o-mini']);
  });

  it('answers only image models for the image model option', async () => {
    const service = createCommandService({
      settings: {} as SettingsStore,
      catalog: new ToolCatalog({ sources: [] }),
      listModels: async () => [{ id: 'openai/gpt-4o', outputsImages: false }, { id: 'openai/gpt-image-2', outputsImages: true }, { id: 'google/gemini-3.1-flash-image-preview' }],
      defaultModel: 'openai/gpt-4o',
      usage: { report: async () => ({ days: [] }), top: async () => [] },
    });
    const interaction = Reflect.construct(AutocompleteInteraction, [client, payload(4, 'image-model', [{ ...string('image_model', 'gpt'), focused: true }])]) as AutocompleteInteraction;
    await respondToAutocomplete(interaction, (field, query) => service.complete(field, query), silentLogger());
    expect(callbacks.at(-1)?.body.data.choices.map((choice) => choice.value)).toEqual(['openai/gpt-image-2', 'google/gemini-3.1-flash-image-preview']);
  });

  it('a failing model list answers with no choices instead of an error', async () => {
    const interaction = Reflect.construct(AutocompleteInteraction, [client, payload(4, 'ask', [string('prompt', 'hi'), { ...string('model', 'gpt'), focused: true }])]) as AutocompleteInteraction;
    await respondToAutocomplete(interaction, async () => {
      throw new Error('gateway down');
    }, silentLogger());
    expect(callbacks.at(-1)?.body).toEqual({ type: 8, data: { choices: [] } });
  });
});

describe('/help', () => {
  it('describes exactly the commands Discord registers, with their options', () => {
    const help = discordHelpText();
    for (const command of DISCORD_COMMANDS) expect(help).toContain(`\`/${command.name}`);
    expect(help).toContain('- `/ask prompt [model] [private]` — Ask the assistant');
    expect(help).toContain('- `/model [name] [scope] [reset]` — Show or set this channel\'s model');
    expect(help).toContain('- `/budget` — Spending limits in US dollars (changes: admins): `show` (the limits in force here), `set` (set a daily or monthly limit), `reset`');
    expect(help).not.toContain('--workspace');
  });
});
