import { nextSnowflake } from './snowflake.ts';
import {
  ChannelKind,
  DEFAULT_MEMBER_PERMISSIONS,
  Intent,
  isoNow,
  MessageFlag,
  MessageKind,
  wireUser,
  type WireAttachment,
  type WireChannel,
  type WireGuild,
  type WireMember,
  type WireMessage,
  type WireMessageReference,
  type WireRole,
  type WireUser,
} from './wire.ts';
import type { DispatchScope } from './gateway.ts';

/** The fake's world: users, one or more guilds, channels, messages and interactions, all in memory. */

export interface AllowedMentions {
  parse?: string[];
  users?: string[];
  roles?: string[];
  replied_user?: boolean;
}

/** Who a message would have notified, computed the way Discord does from content + allowed_mentions. */
export interface Pings {
  everyone: boolean;
  users: string[];
  roles: string[];
}

export interface FakeInteraction {
  id: string;
  token: string;
  /** 2 = application command, 3 = message component. */
  type: number;
  channelId: string;
  guildId?: string;
  user: WireUser;
  createdAt: number;
  expiresAt: number;
  /** Callback type (4 reply, 5 deferred reply, 6 deferred update, 7 update) once acknowledged. */
  callbackType?: number;
  acknowledgedAfterMs?: number;
  responseMessageId?: string;
  ephemeral: boolean;
  followupIds: string[];
  /** For component interactions: the message whose button was clicked. */
  messageId?: string;
  payload: Record<string, unknown>;
}

export interface StoredAttachment {
  body: Buffer;
  contentType: string;
}

export interface MessageWrite {
  content?: string;
  components?: unknown[];
  embeds?: unknown[];
  flags?: number;
  allowed_mentions?: AllowedMentions;
  message_reference?: WireMessageReference;
  nonce?: string | number;
  /** With a nonce: return the message this author already created with it here instead of a new one. */
  enforce_nonce?: boolean;
}

type Dispatcher = (type: string, data: unknown, scope?: DispatchScope) => void;

export class DiscordState {
  readonly applicationId: string;
  /** `GET /applications/@me` flags; doctor reads the Message Content intent bits (1 << 18, 1 << 19). @defaultValue GATEWAY_MESSAGE_CONTENT */
  applicationFlags = 1 << 18;
  readonly bot: WireUser;
  readonly users = new Map<string, WireUser>();
  readonly guilds = new Map<string, WireGuild>();
  readonly channels = new Map<string, WireChannel>();
  readonly messages = new Map<string, WireMessage>();
  readonly channelMessages = new Map<string, WireMessage[]>();
  readonly pings = new Map<string, Pings>();
  readonly interactions = new Map<string, FakeInteraction>();
  readonly interactionsByToken = new Map<string, FakeInteraction>();
  readonly attachments = new Map<string, StoredAttachment>();
  readonly commands = new Map<string, unknown[]>();
  /** How many times each message was edited. */
  readonly editCounts = new Map<string, number>();
  /** `channelId:nonce` → id of the message created with it (for enforce_nonce). */
  readonly nonces = new Map<string, string>();
  #dispatch: Dispatcher = () => {};
  /** Told of every message the bot creates or edits, as it takes effect (the bench times writes with it). */
  botWriteObserver: ((message: WireMessage, kind: 'create' | 'edit') => void) | undefined;

  constructor(applicationId: string, botName: string) {
    this.applicationId = applicationId;
    this.bot = wireUser(nextSnowflake(), botName, true);
    this.users.set(this.bot.id, this.bot);
  }

  setDispatcher(dispatch: Dispatcher): void {
    this.#dispatch = dispatch;
  }

  addUser(username: string, bot = false): WireUser {
    const user = wireUser(nextSnowflake(), username, bot);
    this.users.set(user.id, user);
    for (const guild of this.guilds.values()) guild.members.push(member(user, []));
    return user;
  }

  addGuild(name: string, ownerId: string): { guild: WireGuild; channel: WireChannel; botRole: WireRole; adminRole: WireRole } {
    const id = nextSnowflake();
    const everyone = role(id, '@everyone', 0, DEFAULT_MEMBER_PERMISSIONS);
    const botRole: WireRole = { ...role(nextSnowflake(), this.bot.username, 1, DEFAULT_MEMBER_PERMISSIONS), managed: true, tags: { bot_id: this.bot.id } };
    const adminRole = role(nextSnowflake(), 'Ofox Admins', 2, DEFAULT_MEMBER_PERMISSIONS);
    const channel: WireChannel = {
      id: nextSnowflake(),
      type: ChannelKind.GuildText,
      guild_id: id,
      name: 'general',
      position: 0,
      parent_id: null,
      topic: null,
      nsfw: false,
      permission_overwrites: [],
      last_message_id: null,
      rate_limit_per_user: 0,
      flags: 0,
    };
    const members = [...this.users.values()].map((user) => member(user, user.id === this.bot.id ? [botRole.id] : []));
    const guild: WireGuild = { id, name, owner_id: ownerId, roles: [everyone, botRole, adminRole], members, channels: [channel] };
    this.guilds.set(id, guild);
    this.channels.set(channel.id, channel);
    return { guild, channel, botRole, adminRole };
  }

  addTextChannel(guildId: string, name: string): WireChannel {
    const guild = this.guilds.get(guildId);
    if (!guild) throw new Error(`unknown guild ${guildId}`);
    const channel: WireChannel = { id: nextSnowflake(), type: ChannelKind.GuildText, guild_id: guildId, name, position: guild.channels.length, parent_id: null, permission_overwrites: [], flags: 0 };
    guild.channels.push(channel);
    this.channels.set(channel.id, channel);
    this.#dispatch('CHANNEL_CREATE', channel, { intent: Intent.Guilds });
    return channel;
  }

  dmChannelWith(user: WireUser): WireChannel {
    for (const channel of this.channels.values()) {
      if (channel.type === ChannelKind.DM && channel.recipients?.some((recipient) => recipient.id === user.id)) return channel;
    }
    const channel: WireChannel = { id: nextSnowflake(), type: ChannelKind.DM, recipients: [user], last_message_id: null, flags: 0 };
    this.channels.set(channel.id, channel);
    return channel;
  }

  memberOf(guildId: string, userId: string): WireMember | undefined {
    return this.guilds.get(guildId)?.members.find((candidate) => candidate.user.id === userId);
  }

  /** Creates a message as `author`, stores it and dispatches MESSAGE_CREATE like Discord. */
  createMessage(channelId: string, author: WireUser, write: MessageWrite, extra: Partial<WireMessage> = {}): WireMessage {
    const channel = this.channels.get(channelId);
    if (!channel) throw new Error(`unknown channel ${channelId}`);
    const content = write.content ?? '';
    const reference = write.message_reference;
    const referenced = reference?.message_id ? this.messages.get(reference.message_id) : undefined;
    const guildId = channel.guild_id;
    const mentions = mentionedUsers(content, this.users);
    if (referenced && (write.allowed_mentions === undefined || write.allowed_mentions.replied_user === true) && !mentions.some((user) => user.id === referenced.author.id)) {
      mentions.push(referenced.author);
    }
    const pings = computePings(content, write.allowed_mentions, referenced?.author.id);
    const authorMember = guildId ? this.memberOf(guildId, author.id) : undefined;
    const message: WireMessage = {
      id: nextSnowflake(),
      type: referenced ? MessageKind.Reply : MessageKind.Default,
      channel_id: channelId,
      ...(guildId ? { guild_id: guildId } : {}),
      author,
      ...(authorMember ? { member: withoutUser(authorMember) } : {}),
      content,
      timestamp: isoNow(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: pings.everyone,
      mentions,
      mention_roles: mentionedRoles(content),
      attachments: [],
      embeds: write.embeds ?? [],
      pinned: false,
      flags: write.flags ?? 0,
      components: write.components ?? [],
      ...(reference?.message_id
        ? {
            message_reference: { type: 0, message_id: reference.message_id, channel_id: reference.channel_id ?? channelId, ...(guildId ? { guild_id: guildId } : {}) },
            referenced_message: referenced ? { ...referenced, referenced_message: undefined } : null,
          }
        : {}),
      ...extra,
    };
    this.#store(message, pings);
    channel.last_message_id = message.id;
    if (channel.type === ChannelKind.PublicThread) channel.message_count = (channel.message_count ?? 0) + 1;
    this.dispatchMessage('MESSAGE_CREATE', message);
    if (author.id === this.bot.id) this.botWriteObserver?.(message, 'create');
    return message;
  }

  #store(message: WireMessage, pings: Pings): void {
    this.messages.set(message.id, message);
    this.pings.set(message.id, pings);
    let list = this.channelMessages.get(message.channel_id);
    if (!list) {
      list = [];
      this.channelMessages.set(message.channel_id, list);
    }
    list.push(message);
  }

  editMessage(message: WireMessage, write: MessageWrite): WireMessage {
    if (write.content !== undefined) {
      message.content = write.content;
      message.mentions = mentionedUsers(write.content, this.users);
      message.mention_roles = mentionedRoles(write.content);
      const pings = computePings(write.content, write.allowed_mentions, undefined);
      message.mention_everyone = pings.everyone;
      this.pings.set(message.id, pings);
    }
    if (write.components !== undefined) message.components = write.components;
    if (write.embeds !== undefined) message.embeds = write.embeds;
    message.flags &= ~MessageFlag.Loading;
    message.edited_timestamp = isoNow();
    this.editCounts.set(message.id, (this.editCounts.get(message.id) ?? 0) + 1);
    if (message.author.id === this.bot.id) this.botWriteObserver?.(message, 'edit');
    this.dispatchMessage('MESSAGE_UPDATE', message);
    return message;
  }

  deleteMessage(message: WireMessage): void {
    this.messages.delete(message.id);
    const list = this.channelMessages.get(message.channel_id);
    if (list) {
      const index = list.indexOf(message);
      if (index >= 0) list.splice(index, 1);
    }
    this.#dispatch(
      'MESSAGE_DELETE',
      { id: message.id, channel_id: message.channel_id, ...(message.guild_id ? { guild_id: message.guild_id } : {}) },
      { intent: message.guild_id ? Intent.GuildMessages : Intent.DirectMessages },
    );
  }

  /** Dispatches with Discord's intent rules: content hidden without MESSAGE_CONTENT unless the bot is involved. */
  dispatchMessage(type: 'MESSAGE_CREATE' | 'MESSAGE_UPDATE', message: WireMessage): void {
    if (message.flags & MessageFlag.Ephemeral) return;
    const isDm = !message.guild_id;
    const visibleAnyway = isDm || message.author.id === this.bot.id || message.mentions.some((user) => user.id === this.bot.id);
    const channelType = this.channels.get(message.channel_id)?.type ?? ChannelKind.GuildText;
    // Gateway message events carry `channel_type`; discord.js needs it to build uncached DM channels.
    const payload = { ...message, channel_type: channelType };
    const withoutContent = visibleAnyway ? undefined : { ...payload, content: '', embeds: [], attachments: [], components: [] };
    this.#dispatch(type, payload, { intent: isDm ? Intent.DirectMessages : Intent.GuildMessages, ...(withoutContent ? { withoutContent } : {}) });
  }

  startThread(message: WireMessage, name: string, autoArchiveDuration: number, owner: WireUser): WireChannel {
    const parent = this.channels.get(message.channel_id);
    const thread: WireChannel = {
      id: message.id,
      type: ChannelKind.PublicThread,
      guild_id: parent?.guild_id ?? '',
      name,
      parent_id: message.channel_id,
      owner_id: owner.id,
      last_message_id: null,
      rate_limit_per_user: 0,
      flags: 0,
      message_count: 0,
      member_count: 1,
      total_message_sent: 0,
      thread_metadata: { archived: false, auto_archive_duration: autoArchiveDuration, archive_timestamp: isoNow(), locked: false, create_timestamp: isoNow() },
    };
    this.channels.set(thread.id, thread);
    const guild = parent?.guild_id ? this.guilds.get(parent.guild_id) : undefined;
    guild?.channels.push(thread);
    message.thread = thread;
    this.#dispatch('THREAD_CREATE', { ...thread, newly_created: true }, { intent: Intent.Guilds });
    return thread;
  }

  addAttachment(channelId: string, filename: string, body: Buffer, contentType: string, baseUrl: string): WireAttachment {
    const id = nextSnowflake();
    const url = `${baseUrl}/attachments/${channelId}/${id}/${encodeURIComponent(filename)}`;
    this.attachments.set(id, { body, contentType });
    return { id, filename, size: body.length, url, proxy_url: url, content_type: contentType };
  }

  /** Member payload for an interaction, with computed permissions. */
  interactionMember(guildId: string, user: WireUser, permissions: bigint | undefined, roles: string[] | undefined): WireMember {
    const existing = this.memberOf(guildId, user.id) ?? member(user, []);
    const allRoles = [...new Set([...existing.roles, ...(roles ?? [])])];
    return { ...existing, roles: allRoles, permissions: (permissions ?? BigInt(DEFAULT_MEMBER_PERMISSIONS)).toString() };
  }

  dispatch(type: string, data: unknown, scope?: DispatchScope): void {
    this.#dispatch(type, data, scope);
  }
}

function role(id: string, name: string, position: number, permissions: string): WireRole {
  return { id, name, color: 0, hoist: false, icon: null, unicode_emoji: null, position, permissions, managed: false, mentionable: true, flags: 0 };
}

function member(user: WireUser, roles: string[]): WireMember {
  return { user, nick: null, avatar: null, roles, joined_at: isoNow(), deaf: false, mute: false, flags: 0 };
}

function withoutUser(value: WireMember): Omit<WireMember, 'user'> {
  const { user: _user, ...rest } = value;
  return rest;
}

function mentionedUsers(content: string, users: Map<string, WireUser>): WireUser[] {
  const found: WireUser[] = [];
  for (const match of content.matchAll(/<@!?(\d{17,20})>/g)) {
    const user = users.get(match[1] ?? '');
    if (user && !found.includes(user)) found.push(user);
  }
  return found;
}

function mentionedRoles(content: string): string[] {
  return [...new Set([...content.matchAll(/<@&(\d{17,20})>/g)].map((match) => match[1] ?? ''))];
}

/** Discord's rules: without allowed_mentions everything in the content pings; with it, only what it allows. */
export function computePings(content: string, allowed: AllowedMentions | undefined, repliedUserId: string | undefined): Pings {
  const parse = allowed ? (allowed.parse ?? []) : ['users', 'roles', 'everyone'];
  const userIds = [...content.matchAll(/<@!?(\d{17,20})>/g)].map((match) => match[1] ?? '');
  const roleIds = mentionedRoles(content);
  const users = parse.includes('users') ? userIds : userIds.filter((id) => allowed?.users?.includes(id));
  if (repliedUserId && (allowed === undefined || allowed.replied_user === true)) users.push(repliedUserId);
  return {
    everyone: parse.includes('everyone') && /@(everyone|here)/.test(content),
    users: [...new Set(users)],
    roles: parse.includes('roles') ? roleIds : roleIds.filter((id) => allowed?.roles?.includes(id)),
  };
}

