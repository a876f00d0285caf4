import { ChannelType, MessageType, type Message } from 'discord.js';
import { jobIdFor, type Attachment, type ChatJobInput } from '../../src/queue/chat-job.ts';
import { stopRow } from './components.ts';
import { ENQUEUE_FAILED_TEXT, PLACEHOLDER_TEXT, promptFromContent, threadNameFrom } from './formatting.ts';
import { botIdOf, enqueueJob, NO_PINGS, type IngressContext } from './ingress-context.ts';

/**
 * A message is answered when it @mentions the bot (or its managed role), replies to the bot, is in
 * a thread the bot started, or is a DM. Each is claimed once, gets a placeholder reply at once
 * (with a Stop button: the job id derives from the message id), and is then enqueued.
 */

type Trigger = 'mention' | 'reply' | 'thread' | 'dm';

export async function onMessage(context: IngressContext, message: Message): Promise<void> {
  const trigger = await triggerOf(context, message);
  if (!trigger) return;
  if (!(await context.services.claimEvent('discord', message.id))) {
    context.log.debug({ messageId: message.id }, 'discord message already claimed; ignoring the redelivery');
    return;
  }
  const botId = botIdOf(context);
  const botRoleId = message.guild?.roles.botRoleFor(botId)?.id;
  const prompt = promptFromContent(message.content, {
    botId,
    ...(botRoleId ? { botRoleId } : {}),
    users: new Map(message.mentions.users.map((user) => [user.id, user.displayName])),
    roles: new Map(message.mentions.roles.map((role) => [role.id, role.name])),
  });

  const channel = message.channel;
  // Settings are per channel, so a thread's job names its parent and carries the thread apart.
  let threadId = channel.isThread() ? channel.id : undefined;
  const channelId = channel.isThread() ? (channel.parentId ?? channel.id) : channel.id;
  let placeholderTarget: Message | string = message;
  if (context.config.DISCORD_THREAD_PER_CONVERSATION && message.inGuild() && channel.type === ChannelType.GuildText) {
    try {
      const thread = await message.startThread({ name: threadNameFrom(prompt, `Chat with ${message.author.displayName}`), autoArchiveDuration: 1440 });
      threadId = thread.id;
      placeholderTarget = thread.id;
    } catch (error) {
      context.log.warn({ err: error, messageId: message.id }, 'could not open a thread; answering in the channel');
    }
  }

  const placeholder = await postPlaceholder(context, placeholderTarget, jobIdFor('discord', message.id));
  if (placeholder === FORBIDDEN) {
    // The bot may read here but not write: an answer could never be shown, and every attempt
    // would count towards Discord's invalid-request ban.
    context.log.warn({ messageId: message.id, channelId }, 'no permission to answer in this channel; ignoring the message');
    return;
  }
  const job: ChatJobInput = {
    v: 1,
    eventId: message.id,
    platform: 'discord',
    workspaceId: message.guildId ?? 'dm',
    channelId,
    ...(threadId ? { threadId } : {}),
    messageId: message.id,
    userId: message.author.id,
    userName: message.member?.displayName ?? message.author.displayName,
    prompt,
    attachments: message.attachments.map((attachment) => attachmentOf(attachment)),
    ...(placeholder ? { placeholder: { id: placeholder.id, channelId: placeholder.channelId } } : {}),
    createdAt: Date.now(),
  };
  await enqueueJob(context, job, trigger, {
    onFailure: async () => {
      await placeholder?.edit({ content: ENQUEUE_FAILED_TEXT, components: [], allowedMentions: NO_PINGS });
    },
    onDuplicate: async () => {
      await placeholder?.delete();
    },
  });
}

async function triggerOf(context: IngressContext, message: Message): Promise<Trigger | undefined> {
  const botId = botIdOf(context);
  // Never itself, whatever IGNORE_BOTS says: its own answers would answer themselves.
  if (!botId || message.author.id === botId) return undefined;
  if ((message.author.bot || message.webhookId) && context.config.IGNORE_BOTS) return undefined;
  if (message.type !== MessageType.Default && message.type !== MessageType.Reply) return undefined;
  if (!message.inGuild()) return 'dm';
  if (message.mentions.users.has(botId)) return 'mention';
  const botRole = message.guild.roles.botRoleFor(botId);
  if (botRole && (message.mentions.roles.has(botRole.id) || message.content.includes(`<@&${botRole.id}>`))) return 'mention';
  if (message.channel.isThread() && message.channel.ownerId === botId) return 'thread';
  if (message.reference?.messageId && message.reference.channelId === message.channelId) {
    const referenced = await message.fetchReference().catch(() => undefined);
    if (referenced?.author.id === botId) return 'reply';
  }
  return undefined;
}

const FORBIDDEN = Symbol('forbidden');

/** A reply to the message, or a first message in the thread opened for it. */
async function postPlaceholder(context: IngressContext, target: Message | string, jobId: string): Promise<Message | undefined | typeof FORBIDDEN> {
  const body = { content: PLACEHOLDER_TEXT, components: [stopRow(jobId)], allowedMentions: NO_PINGS };
  try {
    if (typeof target !== 'string') return await target.reply({ ...body, failIfNotExists: false });
    const channel = await context.client.channels.fetch(target);
    if (channel?.isSendable()) return await channel.send(body);
    context.log.warn({ channelId: target }, 'cannot post a placeholder in this channel');
  } catch (error) {
    const status = (error as { status?: unknown }).status;
    const code = (error as { code?: unknown }).code;
    if (status === 403 || code === 50001 || code === 50013) return FORBIDDEN;
    // The worker posts the answer itself when there is no placeholder; the job still goes ahead.
    context.log.warn({ err: error }, 'could not post the placeholder');
  }
  return undefined;
}

const TEXT_EXTENSIONS = /\.(txt|md|markdown|json|jsonl|ya?ml|toml|ini|cfg|conf|csv|tsv|log|xml|html?|css|scss|js|mjs|cjs|jsx|ts|tsx|py|rb|go|rs|java|kt|swift|c|h|cc|cpp|hpp|cs|php|sh|bash|zsh|sql|diff|patch)$/i;

export function attachmentOf(attachment: { name: string; url: string; contentType: string | null; size: number }): Attachment {
  const mediaType = attachment.contentType?.split(';')[0]?.trim() || undefined;
  const kind: Attachment['kind'] = mediaType?.startsWith('image/')
    ? 'image'
    : mediaType?.startsWith('text/') || mediaType === 'application/json' || mediaType === 'application/xml' || TEXT_EXTENSIONS.test(attachment.name)
      ? 'text'
      : 'file';
  return { kind, name: attachment.name, url: attachment.url, ...(mediaType ? { mediaType } : {}), sizeBytes: attachment.size };
}
