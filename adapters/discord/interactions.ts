import { MessageFlags, type ButtonInteraction, type ChatInputCommandInteraction, type Interaction } from 'discord.js';
import type { Inbound, IngressPorts } from '../../src/ingress/index.ts';
import { commandArgs, isSettingsCommand, type SettingsCommandName } from './commands.ts';
import { respondToAutocomplete } from './autocomplete.ts';
import { parseCustomId } from './components.ts';
import { ENQUEUE_FAILED_TEXT, fitMessage, toDiscordText } from './formatting.ts';
import { isAdmin, NO_PINGS, type IngressContext } from './ingress-context.ts';

/**
 * Slash commands and buttons. `/ask` is deferred at once (Discord wants an answer within 3 s) and
 * enqueued with the deferred reply as its placeholder; its token goes to Redis, never into the job.
 * The settings commands run in the core; Stop and Approve / Deny are checked there too.
 */

export async function onInteraction(context: IngressContext, interaction: Interaction): Promise<void> {
  if (interaction.isChatInputCommand()) {
    if (interaction.commandName === 'ask') return onAsk(context, interaction);
    if (isSettingsCommand(interaction.commandName)) return onSettingsCommand(context, interaction, interaction.commandName);
    context.log.warn({ command: interaction.commandName }, 'unknown slash command');
    await interaction.reply({ content: 'Unknown command.', flags: MessageFlags.Ephemeral });
    return;
  }
  if (interaction.isButton()) return onButton(context, interaction);
  if (interaction.isAutocomplete()) {
    const complete = context.services.completeCommand;
    return respondToAutocomplete(interaction, (field, query) => (complete ? complete(field, query) : Promise.resolve([])), context.log);
  }
  context.log.debug({ type: interaction.type, interactionId: interaction.id }, 'ignoring an interaction of a kind the bot does not use');
}

function channelOf(interaction: ChatInputCommandInteraction): { channelId: string; threadId?: string } {
  const channel = interaction.channel;
  if (channel?.isThread()) return { channelId: channel.parentId ?? channel.id, threadId: channel.id };
  return { channelId: interaction.channelId };
}

async function onAsk(context: IngressContext, interaction: ChatInputCommandInteraction): Promise<void> {
  const model = interaction.options.getString('model')?.trim();
  const isPrivate = interaction.options.getBoolean('private') ?? false;
  const inbound: Inbound = {
    platform: 'discord',
    eventId: interaction.id,
    workspaceId: interaction.guildId ?? 'dm',
    ...channelOf(interaction),
    user: {
      id: interaction.user.id,
      name: interaction.member && 'displayName' in interaction.member ? interaction.member.displayName : interaction.user.displayName,
      groups: memberRoleIds(interaction),
      isAdmin: isAdmin(context, interaction),
    },
    isDirect: interaction.guildId === null,
    prompt: interaction.options.getString('prompt', true),
    attachments: [],
    ...(model ? { model } : {}),
    private: isPrivate,
    fromCommand: true,
    trigger: 'slash-command',
  };
  await context.pipeline.accept(inbound, askPorts(context, interaction, isPrivate));
}

/** The deferred reply is `/ask`'s placeholder: due within 3 s, so it never waits for the pacer. */
function askPorts(context: IngressContext, interaction: ChatInputCommandInteraction, isPrivate: boolean): IngressPorts {
  return {
    // Redis is unreachable and the request waits: the interaction must still be answered within
    // 3 s, so it is deferred now ("Ofox is thinking…"); the placeholder below then reuses it.
    waiting: {
      key: () => `discord-interaction:${interaction.id}`,
      async show() {
        if (!interaction.deferred && !interaction.replied) await interaction.deferReply(isPrivate ? { flags: MessageFlags.Ephemeral } : {});
      },
    },
    placeholder: {
      channelKey: () => undefined,
      required: true,
      async post() {
        const extra = { kind: 'interaction', interactionId: interaction.id };
        if (interaction.deferred) return { id: await deferredReplyId(context, interaction, isPrivate), channelId: interaction.channelId, extra };
        const response = await interaction.deferReply({ ...(isPrivate ? { flags: MessageFlags.Ephemeral } : {}), withResponse: true });
        return {
          id: response.interaction.responseMessageId ?? response.resource?.message?.id ?? (await deferredReplyId(context, interaction, isPrivate)),
          channelId: interaction.channelId,
          extra,
        };
      },
    },
    // The worker edits the reply through this token; it goes to Redis, never into the job.
    beforeEnqueue: (_inbound, jobId) => context.tokens.save(jobId, interaction.token, interaction.createdTimestamp),
    async showFailure() {
      if (interaction.deferred || interaction.replied) await interaction.editReply({ content: ENQUEUE_FAILED_TEXT, allowedMentions: NO_PINGS });
      else await interaction.reply({ content: ENQUEUE_FAILED_TEXT, flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
    },
    async notifyPrivately(_inbound, text) {
      await interaction.reply({ content: toDiscordText(fitMessage(text), 2000), flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
    },
  };
}

function memberRoleIds(interaction: ChatInputCommandInteraction | ButtonInteraction): string[] {
  const roles = interaction.member?.roles;
  return Array.isArray(roles) ? roles : roles ? [...roles.cache.keys()] : [];
}

/**
 * The deferred reply's real message id. A public reply is an ordinary message the app owns, so with
 * its id the worker can keep editing it through the channel once the 15-minute token is gone;
 * '@original' only works through the token. A private reply can only ever be reached through it.
 */
async function deferredReplyId(context: IngressContext, interaction: ChatInputCommandInteraction, isPrivate: boolean): Promise<string> {
  if (isPrivate) return '@original';
  try {
    return (await interaction.fetchReply()).id;
  } catch (error) {
    context.log.warn({ err: error, interactionId: interaction.id }, 'could not read the deferred reply; it can be edited only while its token lasts');
    return '@original';
  }
}

async function onSettingsCommand(context: IngressContext, interaction: ChatInputCommandInteraction, name: SettingsCommandName): Promise<void> {
  const pending = context.services.runCommand({
    platform: 'discord',
    workspaceId: interaction.guildId ?? 'dm',
    channelId: channelOf(interaction).channelId,
    userId: interaction.user.id,
    isAdmin: isAdmin(context, interaction),
    name,
    args: commandArgs(interaction, name),
  });
  // Discord's 3 s run from when it created the interaction, not from when it reached us: gateway
  // delay and event-loop lag have already used part of them.
  const budgetMs = interaction.createdTimestamp + context.commandReplyBudgetMs - Date.now();
  // Awaited below in every path; this only keeps a rejection while deferring from going unhandled.
  pending.catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  const slow = new Promise<'slow'>((resolve) => {
    timer = setTimeout(() => resolve('slow'), Math.max(0, budgetMs));
  });
  try {
    const first = budgetMs <= 0 ? 'slow' : await Promise.race([pending, slow]);
    if (first !== 'slow') {
      await interaction.reply({ content: toDiscordText(fitMessage(first.text), 2000), allowedMentions: NO_PINGS, ...(first.ephemeral ? { flags: MessageFlags.Ephemeral } : {}) });
      return;
    }
    // Whether the reply is private is known only once the command ran, so defer privately: an
    // announcement shown to one person is better than a private reply shown to everyone.
    await interaction.deferReply({ flags: MessageFlags.Ephemeral });
    const reply = await pending;
    const content = toDiscordText(fitMessage(reply.text), 2000);
    await interaction.editReply({ content, allowedMentions: NO_PINGS });
    if (!reply.ephemeral) {
      // A private deferral cannot turn public. The edit above settled it, so this follow-up is a new
      // message that honours its own (public) visibility; the private copy then goes away.
      try {
        await interaction.followUp({ content, allowedMentions: NO_PINGS });
      } catch (error) {
        // The command did run and its asker can read the private copy: not a failure to report.
        context.log.warn({ err: error, command: name }, 'could not post the public command reply; it stays private');
        return;
      }
      await interaction.deleteReply().catch(() => {});
    }
  } catch (error) {
    context.log.error({ err: error, command: name }, 'discord command failed');
    const content = '⚠️ That command failed. Please try again.';
    if (interaction.deferred) await interaction.editReply({ content }).catch(() => {});
    else if (!interaction.replied) await interaction.reply({ content, flags: MessageFlags.Ephemeral }).catch(() => {});
  } finally {
    clearTimeout(timer);
  }
}

async function onButton(context: IngressContext, interaction: ButtonInteraction): Promise<void> {
  const parsed = parseCustomId(interaction.customId);
  if (!parsed) {
    context.log.warn({ customId: interaction.customId }, 'button with an unknown custom id');
    await interaction.reply({ content: 'This button is no longer supported.', flags: MessageFlags.Ephemeral });
    return;
  }
  const userId = interaction.user.id;
  const admin = isAdmin(context, interaction);
  if (parsed.action === 'stop') {
    if (!(await context.services.canCancel(parsed.id, userId, admin))) {
      await interaction.reply({ content: 'Only the person who asked (or an admin) can stop this answer.', flags: MessageFlags.Ephemeral });
      return;
    }
    if (await context.services.cancel(parsed.id, userId)) {
      // The worker's final write shows "stopped" and takes the button away.
      await interaction.deferUpdate();
      return;
    }
    await interaction.reply({ content: 'This answer has already finished.', flags: MessageFlags.Ephemeral });
    return;
  }
  const result = await context.services.decideApproval({
    approvalId: parsed.id,
    userId,
    isAdmin: admin,
    decision: parsed.action === 'approve' ? 'approve' : 'deny',
    platform: 'discord',
    workspaceId: interaction.guildId ?? 'dm',
    channelId: interaction.channelId,
    groups: memberRoleIds(interaction),
  });
  if (result.status === 'accepted') {
    // The worker edits the prompt to show the outcome.
    await interaction.deferUpdate();
    return;
  }
  await interaction.reply({ content: toDiscordText(fitMessage(result.message), 2000), flags: MessageFlags.Ephemeral, allowedMentions: NO_PINGS });
}
