import type { ButtonInteraction, ChatInputCommandInteraction, Client, User } from 'discord.js';
import { PermissionFlagsBits } from 'discord.js';
import type { Config } from '../../src/config.ts';
import type { IngressPipeline, IngressServices } from '../../src/ingress/index.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { fitMessage, toDiscordText } from './formatting.ts';
import { GATEWAY_WRITE_PACING, channelCreateBudgets, discordPacedWrite } from './paced-writes.ts';
import type { InteractionTokenStore } from './interaction-tokens.ts';

/** What every ingress handler shares: config, the core's services and pipeline, the token store, the client. */
export interface IngressContext {
  config: Config;
  services: IngressServices;
  /** Claim → gate → placeholder → job → enqueue, shared with every platform. */
  pipeline: IngressPipeline;
  log: Logger;
  tokens: InteractionTokenStore;
  client: Client;
  /** A settings command slower than this is deferred first (Discord allows 3 s). */
  commandReplyBudgetMs: number;
}

/** Nothing the bot posts from ingress pings anyone, replies included. */
export const NO_PINGS = { parse: [] as never[], repliedUser: false };

export function botIdOf(context: IngressContext): string {
  return context.client.user?.id ?? '';
}

/** Manage Server, or a role listed in DISCORD_ADMIN_ROLE_IDS. */
export function isAdmin(context: IngressContext, interaction: ChatInputCommandInteraction | ButtonInteraction): boolean {
  if (interaction.memberPermissions?.has(PermissionFlagsBits.ManageGuild)) return true;
  const roles = interaction.member?.roles;
  const ids = Array.isArray(roles) ? roles : roles ? [...roles.cache.keys()] : [];
  return ids.some((id) => context.config.DISCORD_ADMIN_ROLE_IDS.includes(id));
}

/** Discord's answer when the bot may read a channel but not write in it. */
export function isForbidden(error: unknown): boolean {
  const status = (error as { status?: unknown }).status;
  const code = (error as { code?: unknown }).code;
  return status === 403 || code === 50001 || code === 50013;
}

/** Messages have no private reply on Discord: a refusal goes to the asker's DMs. */
export async function notifyByDirectMessage(context: IngressContext, user: User, text: string): Promise<void> {
  // The DM channel's message bucket, like any channel's: a `final` write (nobody watches it stream).
  const dm = await user.createDM();
  await discordPacedWrite(GATEWAY_WRITE_PACING, { budgets: channelCreateBudgets(GATEWAY_WRITE_PACING, dm.id), writeClass: 'final', what: 'the private notice' }, () =>
    dm.send({ content: toDiscordText(fitMessage(text), 2000), allowedMentions: NO_PINGS }),
  );
  context.log.debug({ userId: user.id }, 'sent a private notice');
}
