import {
  ApplicationCommandOptionType,
  InteractionContextType,
  Routes,
  SlashCommandBuilder,
  type ChatInputCommandInteraction,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
  type SlashCommandStringOption,
  type SlashCommandSubcommandBuilder as Subcommand,
} from 'discord.js';
import type { Config } from '../../src/config.ts';
import type { CommandInvocation } from '../../src/ingress/services.ts';
import { createDiscordRest } from './rest.ts';

/**
 * The slash commands: `/ask` enqueues an answer; the others are the core's commands. Every option
 * the core understands (scope, reset, budget targets, access lists) is an option here, so nothing
 * needs typing in a syntax Discord does not show; the options are turned back into the core's
 * argument text by `commandArgs`.
 */

const contexts = [InteractionContextType.Guild, InteractionContextType.BotDM];

const scopeOption = (option: SlashCommandStringOption) =>
  option
    .setName('scope')
    .setDescription('Where the change applies (default: this channel)')
    .addChoices({ name: 'this channel', value: 'channel' }, { name: 'whole server', value: 'workspace' });

export const DISCORD_COMMANDS: RESTPostAPIChatInputApplicationCommandsJSONBody[] = [
  new SlashCommandBuilder()
    .setName('ask')
    .setDescription('Ask the assistant')
    .setContexts(contexts)
    .addStringOption((option) => option.setName('prompt').setDescription('Your question').setRequired(true).setMaxLength(6000))
    .addStringOption((option) => option.setName('model').setDescription('Model for this answer, e.g. openai/gpt-4o').setAutocomplete(true))
    .addBooleanOption((option) => option.setName('private').setDescription('Only you see the answer')),
  new SlashCommandBuilder()
    .setName('model')
    .setDescription("Show or set this channel's model")
    .setContexts(contexts)
    .addStringOption((option) => option.setName('name').setDescription('Model id; start typing to see the closest').setAutocomplete(true))
    .addStringOption(scopeOption)
    .addBooleanOption((option) => option.setName('reset').setDescription('Clear the setting so it inherits again')),
  new SlashCommandBuilder()
    .setName('image-model')
    .setDescription("Show or set the model this channel's image tool draws with")
    .setContexts(contexts)
    .addStringOption((option) => option.setName('image_model').setDescription('Image model id; start typing to see the closest').setAutocomplete(true))
    .addStringOption(scopeOption)
    .addBooleanOption((option) => option.setName('reset').setDescription('Clear the setting so it inherits again')),
  new SlashCommandBuilder()
    .setName('persona')
    .setDescription("Show or set this channel's persona")
    .setContexts(contexts)
    .addStringOption((option) => option.setName('text').setDescription('Persona instructions').setMaxLength(4000))
    .addStringOption(scopeOption)
    .addBooleanOption((option) => option.setName('reset').setDescription('Remove the persona so it inherits again')),
  new SlashCommandBuilder()
    .setName('reasoning')
    .setDescription("Show or set how a reasoning model's thinking shows in this channel")
    .setContexts(contexts)
    .addStringOption((option) =>
      option
        .setName('mode')
        .setDescription('What to show while the model thinks')
        .addChoices(
          { name: 'off (not requested)', value: 'off' },
          { name: 'status (thinking… and the time)', value: 'status' },
          { name: 'summary (its latest line)', value: 'summary' },
          { name: 'full (a text file beside the answer)', value: 'full' },
        ),
    )
    .addStringOption(scopeOption)
    .addBooleanOption((option) => option.setName('reset').setDescription('Clear the setting so it inherits again')),
  new SlashCommandBuilder()
    .setName('tools')
    .setDescription('List, enable or disable tools in this channel')
    .setContexts(contexts)
    .addStringOption((option) =>
      option
        .setName('action')
        .setDescription('What to do')
        .addChoices({ name: 'list', value: 'list' }, { name: 'enable', value: 'enable' }, { name: 'disable', value: 'disable' }, { name: 'reset to default', value: 'reset' }),
    )
    .addStringOption((option) => option.setName('tool').setDescription('Tool name').setAutocomplete(true))
    .addStringOption(scopeOption),
  new SlashCommandBuilder()
    .setName('usage')
    .setDescription('Your spend in US dollars today and this month, against your limits')
    .setContexts(contexts)
    .addStringOption((option) =>
      option
        .setName('view')
        .setDescription('What to show (top spenders: admins)')
        .addChoices({ name: 'my spend', value: 'mine' }, { name: 'top users and channels', value: 'top' }),
    )
    .addStringOption((option) =>
      option
        .setName('period')
        .setDescription('Period for the top spenders')
        .addChoices({ name: 'today', value: 'today' }, { name: 'last 7 days', value: '7d' }, { name: 'last 30 days', value: '30d' }),
    )
    .addStringOption((option) =>
      option
        .setName('cost_footer')
        .setDescription("Show each answer's cost in its footer in this channel (admins)")
        .addChoices({ name: 'on', value: 'on' }, { name: 'off', value: 'off' }),
    ),
  new SlashCommandBuilder()
    .setName('budget')
    .setDescription('Spending limits in US dollars (changes: admins)')
    .setContexts(contexts)
    .addSubcommand((sub) => sub.setName('show').setDescription('The limits in force here'))
    .addSubcommand((sub) =>
      budgetTarget(sub.setName('set').setDescription('Set a daily or monthly limit'))
        .addStringOption((option) => option.setName('amount').setDescription('Dollars (e.g. 2.50), a token count with unit tokens, or "none"').setRequired(true))
        .addUserOption((option) => option.setName('user').setDescription('The user, when the target is one user'))
        .addStringOption((option) => option.setName('unit').setDescription('Dollars (default) or tokens').addChoices({ name: 'dollars', value: 'usd' }, { name: 'tokens', value: 'tokens' })),
    )
    .addSubcommand((sub) =>
      budgetTarget(sub.setName('reset').setDescription('Remove a limit set by command (the config file applies again)'))
        .addUserOption((option) => option.setName('user').setDescription('The user, when the target is one user'))
        .addStringOption((option) => option.setName('unit').setDescription('Dollars (default) or tokens').addChoices({ name: 'dollars', value: 'usd' }, { name: 'tokens', value: 'tokens' })),
    ),
  new SlashCommandBuilder()
    .setName('access')
    .setDescription('Who may use the assistant here (changes: admins)')
    .setContexts(contexts)
    .addSubcommand((sub) => sub.setName('show').setDescription('The rules in force here'))
    .addSubcommand((sub) => accessTarget(sub.setName('add').setDescription('Allow, deny, or name a tool approver')))
    .addSubcommand((sub) => accessTarget(sub.setName('remove').setDescription('Take a user, role or channel off a list')))
    .addSubcommand((sub) =>
      sub
        .setName('dms')
        .setDescription('Direct messages to the assistant')
        .addStringOption((option) =>
          option.setName('value').setDescription('On, off, or back to the default').setRequired(true).addChoices({ name: 'on', value: 'on' }, { name: 'off', value: 'off' }, { name: 'reset', value: 'reset' }),
        )
        .addStringOption(scopeOption),
    ),
  new SlashCommandBuilder()
    .setName('audit')
    .setDescription('Latest settings, budget, access and approval changes (admins)')
    .setContexts(contexts)
    .addIntegerOption((option) => option.setName('count').setDescription('How many entries (default 20)').setMinValue(1).setMaxValue(50)),
  new SlashCommandBuilder().setName('help').setDescription('What the assistant can do').setContexts(contexts),
].map((builder) => builder.toJSON());

function budgetTarget(sub: Subcommand): Subcommand {
  return sub
    .addStringOption((option) =>
      option
        .setName('target')
        .setDescription('Whose limit')
        .setRequired(true)
        .addChoices({ name: 'one user', value: 'user' }, { name: 'each user', value: 'everyone' }, { name: 'this channel', value: 'channel' }, { name: 'whole server', value: 'workspace' }),
    )
    .addStringOption((option) => option.setName('period').setDescription('Per UTC day or calendar month').setRequired(true).addChoices({ name: 'daily', value: 'daily' }, { name: 'monthly', value: 'monthly' }));
}

function accessTarget(sub: Subcommand): Subcommand {
  return sub
    .addStringOption((option) =>
      option
        .setName('list')
        .setDescription('Which list')
        .setRequired(true)
        .addChoices({ name: 'allow', value: 'allow' }, { name: 'deny', value: 'deny' }, { name: 'tool approver', value: 'approver' }),
    )
    .addUserOption((option) => option.setName('user').setDescription('A member'))
    .addRoleOption((option) => option.setName('role').setDescription('A role'))
    .addChannelOption((option) => option.setName('channel').setDescription('A channel'))
    .addStringOption(scopeOption);
}

export const SETTINGS_COMMANDS = ['model', 'image-model', 'persona', 'reasoning', 'tools', 'usage', 'budget', 'access', 'audit', 'help'] as const satisfies ReadonlyArray<CommandInvocation['name']>;
export type SettingsCommandName = (typeof SETTINGS_COMMANDS)[number];

export function isSettingsCommand(name: string): name is SettingsCommandName {
  return (SETTINGS_COMMANDS as readonly string[]).includes(name);
}

/** The raw argument text the core parses, e.g. `openai/gpt-4o --workspace`, `clear`, `set user 123 daily 2`. */
export function commandArgs(interaction: ChatInputCommandInteraction, name: CommandInvocation['name']): string {
  const options = interaction.options;
  const scope = options.getString('scope') === 'workspace' ? '--workspace' : '';
  const join = (...parts: Array<string | null | undefined | false>) => parts.filter((part) => part).join(' ').trim();
  switch (name) {
    case 'model':
      return join(options.getBoolean('reset') ? 'clear' : options.getString('name')?.trim(), scope);
    case 'image-model':
      return join(options.getBoolean('reset') ? 'clear' : options.getString('image_model')?.trim(), scope);
    case 'persona':
      return join(options.getBoolean('reset') ? 'clear' : options.getString('text')?.trim(), scope);
    case 'reasoning':
      return join(options.getBoolean('reset') ? 'clear' : options.getString('mode'), scope);
    case 'tools':
      return join(options.getString('action'), options.getString('tool'), scope);
    case 'usage': {
      const footer = options.getString('cost_footer');
      if (footer) return `footer ${footer}`;
      return options.getString('view') === 'top' ? join('top', options.getString('period') ?? '7d') : '';
    }
    case 'budget': {
      const sub = options.getSubcommand(false) ?? 'show';
      if (sub === 'show') return '';
      const target = options.getString('target') ?? '';
      const who = target === 'user' ? join('user', options.getUser('user')?.id ?? '') : target;
      const unit = options.getString('unit') === 'tokens' ? 'tokens' : '';
      return join(sub, who, options.getString('period'), sub === 'set' ? options.getString('amount') : '', unit);
    }
    case 'access': {
      const sub = options.getSubcommand(false) ?? 'show';
      if (sub === 'show') return '';
      if (sub === 'dms') return join('dms', options.getString('value'), scope);
      const user = options.getUser('user');
      const role = options.getRole('role');
      const channel = options.getChannel('channel');
      const target = user ? `user ${user.id}` : role ? `group ${role.id}` : channel ? `channel ${channel.id}` : '';
      return join(sub === 'remove' ? 'remove' : '', options.getString('list'), target, scope);
    }
    case 'audit': {
      const count = options.getInteger('count');
      return count === null ? '' : String(count);
    }
    default:
      return '';
  }
}

/**
 * `/help` in Discord's own terms, written from the registered commands themselves, so it lists
 * exactly what the command picker shows.
 */
export function discordHelpText(commands: readonly RESTPostAPIChatInputApplicationCommandsJSONBody[] = DISCORD_COMMANDS): string {
  const lines = [
    '**Ask** by mentioning the bot in a channel or thread, replying in its thread, or with `/ask`.',
    '',
    '**Commands** (anyone can view; admins change settings, budgets and access):',
  ];
  for (const command of commands) {
    const options = command.options ?? [];
    const subcommands = options.filter((option) => option.type === ApplicationCommandOptionType.Subcommand);
    if (subcommands.length > 0) {
      lines.push(`- \`/${command.name}\` — ${command.description}: ${subcommands.map((sub) => `\`${sub.name}\` (${sub.description.charAt(0).toLowerCase()}${sub.description.slice(1)})`).join(', ')}`);
      continue;
    }
    const described = options.map((option) => ('required' in option && option.required ? option.name : `[${option.name}]`));
    lines.push(`- \`/${[command.name, ...described].join(' ')}\` — ${command.description}`);
  }
  lines.push('', 'Settings apply to this channel; pick `scope: whole server` to change the default for the server (a channel setting still wins).');
  return lines.join('\n');
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
