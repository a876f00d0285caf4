import { InteractionContextType, Routes, SlashCommandBuilder, type ChatInputCommandInteraction, type RESTPostAPIChatInputApplicationCommandsJSONBody } from 'discord.js';
import type { Config } from '../../src/config.ts';
import type { CommandInvocation } from '../../src/ingress/services.ts';
import { createDiscordRest } from './rest.ts';

/** The slash commands: `/ask` enqueues an answer; the others are settings the core answers. */

const contexts = [InteractionContextType.Guild, InteractionContextType.BotDM];

export const DISCORD_COMMANDS: RESTPostAPIChatInputApplicationCommandsJSONBody[] = [
  new SlashCommandBuilder()
    .setName('ask')
    .setDescription('Ask the assistant')
    .setContexts(contexts)
    .addStringOption((option) => option.setName('prompt').setDescription('Your question').setRequired(true).setMaxLength(6000))
    .addStringOption((option) => option.setName('model').setDescription('Model for this answer, e.g. openai/gpt-4o'))
    .addBooleanOption((option) => option.setName('private').setDescription('Only you see the answer')),
  new SlashCommandBuilder()
    .setName('model')
    .setDescription("Show or set this channel's model")
    .setContexts(contexts)
    .addStringOption((option) => option.setName('name').setDescription('Model id, or "clear"')),
  new SlashCommandBuilder()
    .setName('persona')
    .setDescription("Show or set this channel's persona")
    .setContexts(contexts)
    .addStringOption((option) => option.setName('text').setDescription('Persona instructions, or "clear"').setMaxLength(4000)),
  new SlashCommandBuilder()
    .setName('tools')
    .setDescription('List, enable or disable tools in this channel')
    .setContexts(contexts)
    .addStringOption((option) =>
      option
        .setName('action')
        .setDescription('What to do')
        .addChoices({ name: 'list', value: 'list' }, { name: 'enable', value: 'enable' }, { name: 'disable', value: 'disable' }),
    )
    .addStringOption((option) => option.setName('tool').setDescription('Tool name')),
  new SlashCommandBuilder().setName('usage').setDescription('Token usage and cost').setContexts(contexts),
  new SlashCommandBuilder().setName('help').setDescription('What the assistant can do').setContexts(contexts),
].map((builder) => builder.toJSON());

export const SETTINGS_COMMANDS = ['model', 'persona', 'tools', 'usage', 'help'] as const;
export type SettingsCommandName = (typeof SETTINGS_COMMANDS)[number];

export function isSettingsCommand(name: string): name is SettingsCommandName {
  return (SETTINGS_COMMANDS as readonly string[]).includes(name);
}

/** The raw argument text the core parses, e.g. `openai/gpt-4o`, `clear`, `enable fetch_url`. */
export function commandArgs(interaction: ChatInputCommandInteraction, name: CommandInvocation['name']): string {
  const options = interaction.options;
  switch (name) {
    case 'model':
      return options.getString('name')?.trim() ?? '';
    case 'persona':
      return options.getString('text')?.trim() ?? '';
    case 'tools':
      return [options.getString('action'), options.getString('tool')].filter((part) => part).join(' ').trim();
    default:
      return '';
  }
}

/** Bulk-overwrites the commands: in DISCORD_GUILD_ID when set (instant), else globally. */
export async function registerDiscordCommands(
  config: Pick<Config, 'DISCORD_TOKEN' | 'DISCORD_APPLICATION_ID' | 'DISCORD_API_URL' | 'DISCORD_GUILD_ID'>,
): Promise<{ scope: 'guild' | 'global'; count: number }> {
  const applicationId = config.DISCORD_APPLICATION_ID;
  if (!config.DISCORD_TOKEN || !applicationId) throw new Error('DISCORD_TOKEN and DISCORD_APPLICATION_ID are required to register slash commands');
  const rest = createDiscordRest(config, { rejectOnRateLimit: null });
  try {
    const route = config.DISCORD_GUILD_ID ? Routes.applicationGuildCommands(applicationId, config.DISCORD_GUILD_ID) : Routes.applicationCommands(applicationId);
    const stored = (await rest.put(route, { body: DISCORD_COMMANDS })) as unknown[];
    return { scope: config.DISCORD_GUILD_ID ? 'guild' : 'global', count: stored.length };
  } finally {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }
}
