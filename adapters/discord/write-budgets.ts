import type { WriteBudget } from '../../src/render/write-budget.ts';
import type { MessageBudgetDefaults, RateLimitObserver } from './rate-limit-observer.ts';

/**
 * The Discord budgets a write draws from, for the surface and for the ingress (placeholders and
 * typing), so both spend from the same keys.
 */

export const DISCORD_BUDGET_DEFAULTS = {
  /**
   * Requests a second the whole bot may make, across every process, drawn by every request of a
   * paced REST client (`paceEveryRequest`): Discord allows 50; the rest is left for clients not
   * yet paced (the gateway's own). @defaultValue 45
   */
  botRequestsPerSecond: 45,
  /** An interaction's webhook (its token): follow-ups and edits of its replies. @defaultValue 5 per 5 s */
  webhookLimit: 5,
  webhookWindowMs: 5_000,
  /** Typing has a bucket of its own per channel. @defaultValue 5 per 5 s */
  typingLimit: 5,
  typingWindowMs: 5_000,
  /**
   * Tokens a placeholder must leave in the channel's message bucket: the first texts of five answers
   * asked for at once (in the documented 5 per 5 s bucket no placeholder is ever posted, since it
   * would push a first text to the next window; typing acknowledges instead). @defaultValue 5
   */
  placeholderSpare: 5,
  /**
   * Tokens typing must leave in the bot-wide budget: an acknowledgment is worth sending only while
   * it delays no context read and no first text. @defaultValue 25
   */
  typingGlobalSpare: 25,
} as const;

export const DISCORD_GLOBAL_BUDGET_KEY = 'discord:global';

/** The bot-wide budget; drawn by the REST client for every request (see `rest.ts`), not by the renderer. */
export function discordGlobalBudget(requestsPerSecond: number = DISCORD_BUDGET_DEFAULTS.botRequestsPerSecond): WriteBudget {
  return { key: DISCORD_GLOBAL_BUDGET_KEY, limit: requestsPerSecond, windowMs: 1_000, kind: 'window' };
}

/** A create or an edit of a channel message: the channel's bucket (the bot's is drawn per request by the client). */
export function discordMessageBudgets(observer: RateLimitObserver, channelId: string, route: 'create' | 'edit', defaults?: MessageBudgetDefaults): WriteBudget[] {
  return [observer.messageBudget(channelId, route, defaults)];
}

/**
 * A create or an edit of a channel message as the renderer draws it: the channel's bucket and the
 * bot's, in one grant, so the request goes out the moment both have room (the REST client does not
 * draw the bot's again for a request that holds it, `paceEveryRequest`).
 */
export function discordChannelWriteBudgets(observer: RateLimitObserver, channelId: string, route: 'create' | 'edit', defaults?: MessageBudgetDefaults): WriteBudget[] {
  return [observer.messageBudget(channelId, route, defaults), discordGlobalBudget()];
}

/** A follow-up or an edit through an interaction's webhook (exempt from the bot-wide limit). */
export function discordWebhookBudgets(interactionId: string): WriteBudget[] {
  return [{ key: `discord:webhook:${interactionId}`, limit: DISCORD_BUDGET_DEFAULTS.webhookLimit, windowMs: DISCORD_BUDGET_DEFAULTS.webhookWindowMs, kind: 'window' }];
}

/**
 * "Typing…": its own bucket, and the bot's (the REST client lets typing through without drawing
 * again). Ask with `tryReserveNow(budgets, { spare })` and skip it when the bot is busy. One token
 * of the typing bucket stays free for the gateway's "still waiting" typing while Redis is away,
 * which cannot ask the shared pacer (one every 8 s, so at most one in any 5 s window).
 */
export function discordTypingRequest(channelId: string): { budgets: WriteBudget[]; spare: number[] } {
  return {
    budgets: [
      { key: `discord:${channelId}:typing`, limit: DISCORD_BUDGET_DEFAULTS.typingLimit, windowMs: DISCORD_BUDGET_DEFAULTS.typingWindowMs, kind: 'window' },
      discordGlobalBudget(),
    ],
    spare: [1, DISCORD_BUDGET_DEFAULTS.typingGlobalSpare],
  };
}

/** What the ingress asks the pacer before posting a placeholder: `pacer.tryReserveNow(request.budgets, { spare: request.spare })`. */
export function discordPlaceholderRequest(observer: RateLimitObserver, channelId: string): { budgets: WriteBudget[]; spare: number } {
  return { budgets: discordMessageBudgets(observer, channelId, 'create'), spare: DISCORD_BUDGET_DEFAULTS.placeholderSpare };
}
