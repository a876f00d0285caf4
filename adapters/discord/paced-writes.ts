import type { MessageRef } from '../../src/render/surface.ts';
import { pacedWrite, writeIfRoom, type PacedWriteRequest } from '../../src/render/paced-write.ts';
import type { WriteBudget, WritePacer } from '../../src/render/write-budget.ts';
import { transportPacer } from '../../src/render/transport-pacer.ts';
import { refKind } from './messages.ts';
import { DEFAULT_MESSAGE_BUDGET, RateLimitObserver, type MessageBudgetDefaults } from './rate-limit-observer.ts';
import { discordGlobalBudget, discordMessageBudgets, discordTypingRequest, discordWebhookBudgets } from './write-budgets.ts';

/**
 * Discord writes the worker makes outside the answer renderer (approval prompts and their outcome,
 * files), drawn from the very budgets the surface uses: the channel's message bucket (creates and
 * edits share it, learned from the headers) or the interaction webhook's. The bot-wide 50 a
 * second is drawn per request by the REST client (`paceEveryRequest`), so it is not drawn here too.
 *
 * Interaction responses (reply, defer, and the edits and follow-ups of a command's own reply in the
 * gateway) are left out on purpose: Discord wants the callback within 3 s, so it must never queue
 * behind a busy channel, and interaction endpoints are limited per interaction token, apart from
 * the channel's message bucket and from the bot-wide global limit (Discord's rate-limit docs).
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

/**
 * The gateway's writes (a failure notice, a private notice): the documented channel bucket, since
 * its discord.js client learns headers for itself only, keyed as the workers' (creates and edits
 * share one bucket until headers say otherwise), and the process's shared pacer.
 */
const gatewayBuckets = new RateLimitObserver(undefined);
export const GATEWAY_WRITE_PACING: DiscordWritePacing = { pacer: transportPacer, rateLimits: gatewayBuckets, defaults: DEFAULT_MESSAGE_BUDGET };

/**
 * The gateway's "typing…" (an acknowledgment): its channel's typing bucket and the bot's, taken only
 * while both have room (`discordTypingRequest`, as the surface's typing), else left out.
 */
export function typingIfRoom(channelId: string, send: () => Promise<unknown>): Promise<boolean> {
  const request = discordTypingRequest(channelId);
  return writeIfRoom({ pacer: transportPacer(), budgets: request.budgets, spare: request.spare }, send);
}
