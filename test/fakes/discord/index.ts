export { FakeDiscord, type FakeDiscordOptions, type RecordedRequest, type AttachmentInput, type UserMessageInput, type SlashCommandInput, type ButtonClickInput } from './fake-discord.ts';
export type { FakeInteraction, Pings, AllowedMentions } from './state.ts';
export type { RateLimitRule } from './rate-limiter.ts';
export type { RateLimitRules } from './rest-routes.ts';
export { ChannelKind, Intent, MessageFlag, MessageKind, Permission, type WireMessage, type WireUser, type WireChannel, type WireGuild, type WireRole } from './wire.ts';
export { nextSnowflake } from './snowflake.ts';
