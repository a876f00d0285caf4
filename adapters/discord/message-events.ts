import { ChannelType, MessageType, PermissionFlagsBits, type Message, MessageReferenceType } from 'discord.js';
import type { Attachment, Inbound, IngressPorts, MessageRef, PlaceholderOutcome } from '../../src/ingress/index.ts';
import { stopRow } from './components.ts';
import { ENQUEUE_FAILED_TEXT, PLACEHOLDER_TEXT, promptFromContent, threadNameFrom } from './formatting.ts';
import { botIdOf, isForbidden, NO_PINGS, notifyByDirectMessage, type IngressContext } from './ingress-context.ts';
import { GATEWAY_WRITE_PACING, channelCreateBudgets, discordPacedWrite, editBudgets, typingIfRoom } from './paced-writes.ts';

/**
 * A message is answered when it @mentions the bot (or its managed role), replies to the bot, is in
 * a thread the bot started, or is a DM. It becomes an `Inbound`; the ingress pipeline claims it
 * once, posts a placeholder reply (with a Stop button) and enqueues it.
 */

type Trigger = 'mention' | 'reply' | 'thread' | 'dm';

/** Discord shows typing for about 10 s; renewing a little earlier keeps it steady. */
const TYPING_RENEW_MS = 8_000;

export async function onMessage(context: IngressContext, message: Message): Promise<void> {
  const trigger = await triggerOf(context, message);
  if (!trigger) return;
  await context.pipeline.accept(inboundOf(context, message, trigger), messagePorts(context, message));
}

function inboundOf(context: IngressContext, message: Message, trigger: Trigger): Inbound {
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
  return {
    platform: 'discord',
    eventId: message.id,
    workspaceId: message.guildId ?? 'dm',
    channelId: channel.isThread() ? (channel.parentId ?? channel.id) : channel.id,
    ...(channel.isThread() ? { threadId: channel.id } : {}),
    messageId: message.id,
    // A forward (reference type 1) is quoted, not replied to: only a reply has a chain to read.
    replyTo: message.reference && message.reference.type !== MessageReferenceType.Forward ? (message.reference.messageId ?? null) : null,
    user: {
      id: message.author.id,
      name: message.member?.displayName ?? message.author.displayName,
      groups: message.member ? [...message.member.roles.cache.keys()] : [],
      isAdmin: isMessageAdmin(context, message),
    },
    isDirect: !message.inGuild(),
    prompt,
    attachments: message.attachments.map((attachment) => attachmentOf(attachment)),
    trigger,
  };
}

function isMessageAdmin(context: IngressContext, message: Message): boolean {
  const member = message.member;
  if (!member) return false;
  if (member.permissions.has(PermissionFlagsBits.ManageGuild)) return true;
  return member.roles.cache.some((role) => context.config.DISCORD_ADMIN_ROLE_IDS.includes(role.id));
}

/** A reply to the message, or the first message in the thread opened for it. */
function messagePorts(context: IngressContext, message: Message): IngressPorts {
  let placeholderMessage: Message | undefined;
  return {
    async route(inbound) {
      const channel = message.channel;
      if (!context.config.DISCORD_THREAD_PER_CONVERSATION || !message.inGuild() || channel.type !== ChannelType.GuildText) return inbound;
      try {
        const thread = await message.startThread({ name: threadNameFrom(inbound.prompt, `Chat with ${message.author.displayName}`), autoArchiveDuration: 1440 });
        return { ...inbound, threadId: thread.id };
      } catch (error) {
        context.log.warn({ err: error, messageId: message.id }, 'could not open a thread; answering in the channel');
        return inbound;
      }
    },
    async acknowledge(inbound, placeholderComing) {
      // A placeholder says it already; without one, typing shows the request arrived.
      if (placeholderComing) return;
      const channel = await context.client.channels.fetch(inbound.threadId ?? inbound.channelId);
      if (channel?.isSendable()) await typingIfRoom(channel.id, () => channel.sendTyping());
    },
    // Redis is unreachable and the request waits: typing says so without a message, renewed
    // before Discord's ~10 s fade for as long as it waits (once per channel, by the outbox).
    waiting: {
      key: () => `discord:${message.channelId}`,
      renewEveryMs: TYPING_RENEW_MS,
      // Not through the shared pacer: this runs only while Redis is unreachable, where asking it would
      // only time out and leave it pacing locally for seconds after Redis is back (local grants the
      // other workers never saw). The outbox sends it once per channel per renewal, far under the
      // typing bucket's 5 per 5 s.
      async show() {
        if (message.channel.isSendable()) await message.channel.sendTyping();
      },
    },
    placeholder: {
      channelKey: (inbound) => `discord:${inbound.threadId ?? inbound.channelId}`,
      async post(inbound, jobId) {
        const posted = await postPlaceholder(context, message, inbound, jobId);
        if (posted !== 'forbidden' && posted !== undefined) placeholderMessage = posted.message;
        return posted === 'forbidden' || posted === undefined ? posted : posted.ref;
      },
      async discard() {
        await placeholderMessage?.delete();
      },
    },
    // The failure is a `final` write in the channel's message bucket, like the answer it replaces.
    async showFailure(inbound) {
      const edited = placeholderMessage;
      if (edited) {
        const budgets = editBudgets(GATEWAY_WRITE_PACING, { id: edited.id, channelId: edited.channelId });
        await discordPacedWrite(GATEWAY_WRITE_PACING, { budgets, writeClass: 'final', what: 'the failure notice' }, () =>
          edited.edit({ content: ENQUEUE_FAILED_TEXT, components: [], allowedMentions: NO_PINGS }),
        );
        return;
      }
      const channel = await context.client.channels.fetch(inbound.threadId ?? inbound.channelId);
      if (!channel?.isSendable()) return;
      await discordPacedWrite(GATEWAY_WRITE_PACING, { budgets: channelCreateBudgets(GATEWAY_WRITE_PACING, channel.id), writeClass: 'final', what: 'the failure notice' }, async () => {
        await channel.send({ content: ENQUEUE_FAILED_TEXT, allowedMentions: NO_PINGS });
      });
    },
    notifyPrivately: (_inbound, text) => notifyByDirectMessage(context, message.author, text),
  };
}

/** Replies to the message, or posts first in the thread opened for it. */
async function postPlaceholder(
  context: IngressContext,
  message: Message,
  inbound: Inbound,
  jobId: string,
): Promise<{ message: Message; ref: MessageRef } | undefined | Extract<PlaceholderOutcome, 'forbidden'>> {
  const body = { content: PLACEHOLDER_TEXT, components: [stopRow(jobId)], allowedMentions: NO_PINGS };
  try {
    let posted: Message | undefined;
    if (inbound.threadId && inbound.threadId !== message.channelId) {
      const channel = await context.client.channels.fetch(inbound.threadId);
      if (channel?.isSendable()) posted = await channel.send(body);
      else context.log.warn({ channelId: inbound.threadId }, 'cannot post a placeholder in this channel');
    } else {
      posted = await message.reply({ ...body, failIfNotExists: false });
    }
    return posted ? { message: posted, ref: { id: posted.id, channelId: posted.channelId } } : undefined;
  } catch (error) {
    if (isForbidden(error)) return 'forbidden';
    // The worker posts the answer itself when there is no placeholder; the job still goes ahead.
    context.log.warn({ err: error }, 'could not post the placeholder');
    return undefined;
  }
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
