import type { MessageRef } from '../../src/render/surface.ts';
import { pacedWrite, type PacedWriteRequest } from '../../src/render/paced-write.ts';
import type { WriteBudget, WritePacer } from '../../src/render/write-budget.ts';
import { refKind } from './messages.ts';
import type { MessageBudgetDefaults, RateLimitObserver } from './rate-limit-observer.ts';
import { discordGlobalBudget, discordMessageBudgets, discordWebhookBudgets } from './write-budgets.ts';

/**
 * Discord writes the worker makes outside the answer renderer (approval prompts and their outcome,
 * files), drawn from the very budgets the surface uses: the channel's message bucket (creates and
 * edits share it, learned from the headers) or the interaction webhook's. The bot-wide 50 a
 * second is drawn per request by the REST client (`paceEveryRequest`), so it is not drawn here too.
 */

export interface DiscordWritePacing {
  /** The process's shared pacer, looked up per write (the worker role shares it after the ports are built). */
  pacer: () => WritePacer | undefined;
  rateLimits: RateLimitObserver;
  /** The surface's channel bucket until headers say otherwise, so both describe the budget alike. */
  defaults: MessageBudgetDefaults;
}

/** A create in the channel. */
export function channelCreateBudgets(pacing: DiscordWritePacing, channelId: string): WriteBudget[] {
  return discordMessageBudgets(pacing.rateLimits, channelId, 'create', pacing.defaults);
}

/** An edit of a message: through the channel's bucket, or the interaction webhook's for a reply or follow-up. */
export function editBudgets(pacing: DiscordWritePacing, ref: MessageRef): WriteBudget[] {
  if (refKind(ref) !== 'channel') return discordWebhookBudgets(ref.extra?.interactionId ?? '');
  return discordMessageBudgets(pacing.rateLimits, ref.channelId, 'edit', pacing.defaults);
}

/** Runs one REST write once the pacer grants it; a 429 holds off its budgets (the bot's, for a global one) and retries, bounded. */
export function discordPacedWrite<T>(pacing: DiscordWritePacing, write: Pick<PacedWriteRequest, 'budgets' | 'writeClass' | 'what' | 'signal'>, call: () => Promise<T>): Promise<T> {
  return pacedWrite(
    {
      pacer: pacing.pacer(),
      ...write,
      // `toSurfaceError` keeps discord.js's RateLimitError as the cause; `global` names the bot-wide limit.
      refusedBudgets: (error) => ((error.cause as { global?: unknown } | undefined)?.global === true ? [discordGlobalBudget()] : undefined),
    },
    call,
  );
}
