/**
 * The slice of Discord's v10 wire format the fake speaks (snake_case JSON, exactly as Discord sends it).
 * Kept loose on purpose: the real discord.js client is the judge of whether it is right.
 */

export interface WireUser {
  id: string;
  username: string;
  discriminator: string;
  global_name: string | null;
  avatar: string | null;
  bot?: boolean;
  system?: boolean;
}

export interface WireRole {
  id: string;
  name: string;
  color: number;
  hoist: boolean;
  icon: null;
  unicode_emoji: null;
  position: number;
  /** Bitfield as a decimal string. */
  permissions: string;
  managed: boolean;
  mentionable: boolean;
  flags: number;
  tags?: { bot_id?: string };
}

export interface WireMember {
  user: WireUser;
  nick: string | null;
  avatar: null;
  roles: string[];
  joined_at: string;
  deaf: boolean;
  mute: boolean;
  flags: number;
  pending?: boolean;
  /** Only in interaction payloads: the member's computed permissions in the channel. */
  permissions?: string;
}

export interface WireAttachment {
  id: string;
  filename: string;
  size: number;
  url: string;
  proxy_url: string;
  content_type?: string;
}

export interface WireMessageReference {
  type?: number;
  message_id?: string;
  channel_id?: string;
  guild_id?: string;
  fail_if_not_exists?: boolean;
}

export interface WireMessage {
  id: string;
  type: number;
  channel_id: string;
  guild_id?: string;
  author: WireUser;
  member?: Omit<WireMember, 'user'>;
  content: string;
  timestamp: string;
  edited_timestamp: string | null;
  tts: boolean;
  mention_everyone: boolean;
  mentions: WireUser[];
  mention_roles: string[];
  attachments: WireAttachment[];
  embeds: unknown[];
  pinned: boolean;
  flags: number;
  components: unknown[];
  webhook_id?: string;
  application_id?: string;
  message_reference?: WireMessageReference;
  referenced_message?: WireMessage | null;
  nonce?: string | number;
  interaction_metadata?: { id: string; type: number; user: WireUser; authorizing_integration_owners: Record<string, string> };
  thread?: WireChannel;
  /** A forward (message_reference type 1) carries a copy of the original here; its own content is empty. */
  message_snapshots?: WireMessageSnapshot[];
}

export interface WireMessageSnapshot {
  message: Pick<WireMessage, 'type' | 'content' | 'embeds' | 'attachments' | 'timestamp' | 'edited_timestamp' | 'flags' | 'mentions' | 'mention_roles'>;
}

export interface WireChannel {
  id: string;
  type: number;
  guild_id?: string;
  name?: string;
  position?: number;
  parent_id?: string | null;
  owner_id?: string;
  topic?: string | null;
  nsfw?: boolean;
  permission_overwrites?: unknown[];
  last_message_id?: string | null;
  rate_limit_per_user?: number;
  recipients?: WireUser[];
  flags?: number;
  message_count?: number;
  member_count?: number;
  total_message_sent?: number;
  thread_metadata?: {
    archived: boolean;
    auto_archive_duration: number;
    archive_timestamp: string;
    locked: boolean;
    create_timestamp?: string;
  };
  newly_created?: boolean;
}

export interface WireGuild {
  id: string;
  name: string;
  owner_id: string;
  roles: WireRole[];
  members: WireMember[];
  channels: WireChannel[];
}

/** Channel types used here (Discord's `ChannelType`). */
export const ChannelKind = { GuildText: 0, DM: 1, PublicThread: 11 } as const;

/** Message types used here (Discord's `MessageType`). */
export const MessageKind = { Default: 0, Reply: 19, ChatInputCommand: 20 } as const;

/** Message flags used here. */
export const MessageFlag = { Ephemeral: 1 << 6, Loading: 1 << 7 } as const;

/** Gateway intents the fake honours. */
export const Intent = { Guilds: 1 << 0, GuildMessages: 1 << 9, GuildMessageReactions: 1 << 10, DirectMessages: 1 << 12, DirectMessageReactions: 1 << 13, MessageContent: 1 << 15 } as const;

/** Permission bits used here. */
export const Permission = {
  Administrator: 1n << 3n,
  ManageGuild: 1n << 5n,
  ViewChannel: 1n << 10n,
  SendMessages: 1n << 11n,
  ReadMessageHistory: 1n << 16n,
  CreatePublicThreads: 1n << 35n,
  SendMessagesInThreads: 1n << 38n,
} as const;

export const DEFAULT_MEMBER_PERMISSIONS = (
  Permission.ViewChannel |
  Permission.SendMessages |
  Permission.ReadMessageHistory |
  Permission.CreatePublicThreads |
  Permission.SendMessagesInThreads
).toString();

export function wireUser(id: string, username: string, bot = false): WireUser {
  return { id, username, discriminator: '0', global_name: username, avatar: null, ...(bot ? { bot: true } : {}) };
}

export function isoNow(at: number = Date.now()): string {
  return new Date(at).toISOString();
}
