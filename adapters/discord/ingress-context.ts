import type { ButtonInteraction, ChatInputCommandInteraction, Client } from 'discord.js';
import { PermissionFlagsBits } from 'discord.js';
import type { Config } from '../../src/config.ts';
import type { IngressServices } from '../../src/ingress/services.ts';
import type { Logger } from '../../src/observability/logger.ts';
import type { ChatJobInput } from '../../src/queue/chat-job.ts';
import type { InteractionTokenStore } from './interaction-tokens.ts';

/** What every ingress handler shares: config, the core's services, the token store, the client. */
export interface IngressContext {
  config: Config;
  services: IngressServices;
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

export interface EnqueueHooks {
  /** The job could not be queued: show a readable error where the answer would have been. */
  onFailure(): Promise<void>;
  /** Someone queued this event already: clean up what this attempt posted. */
  onDuplicate(): Promise<void>;
}

export async function enqueueJob(context: IngressContext, job: ChatJobInput, trigger: string, hooks: EnqueueHooks): Promise<void> {
  try {
    const result = await context.services.enqueue(job);
    if (result.duplicate) {
      context.log.info({ jobId: result.jobId }, 'discord event was already queued; removing the extra placeholder');
      await hooks.onDuplicate().catch(() => {});
      return;
    }
    context.log.info({ jobId: result.jobId, trigger, channelId: job.channelId }, 'discord request queued');
  } catch (error) {
    context.log.error({ err: error, eventId: job.eventId }, 'could not enqueue the discord request');
    await hooks.onFailure().catch((editError: unknown) => context.log.warn({ err: editError }, 'could not show the enqueue failure'));
  }
}
