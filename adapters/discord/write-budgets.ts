import type { WriteBudget } from '../../src/render/write-budget.ts';
import type { MessageBudgetDefaults, RateLimitObserver } from './rate-limit-observer.ts';

/**
 * The Discord budgets a write draws from, for the surface and for the ingress (placeholders and
 * typing), so both spend from the same keys.
 */

export const DISCORD_BUDGET_DEFAULTS = {
  /**
   * Requests a second the whole bot may make, across every process (Discord allows 50; the rest is
   * left for reads, typing and interaction callbacks that do not ask). @defaultValue 40
   */
  botWritesPerSecond: 40,
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
} as const;

export const DISCORD_GLOBAL_BUDGET_KEY = 'discord:global';

export function discordGlobalBudget(writesPerSecond: number = DISCORD_BUDGET_DEFAULTS.botWritesPerSecond): WriteBudget {
  return { key: DISCORD_GLOBAL_BUDGET_KEY, limit: writesPerSecond, windowMs: 1_000, kind: 'window' };
}

/** A create or an edit of a channel message: the channel's bucket, then the bot's. */
export function discordMessageBudgets(
  observer: RateLimitObserver,
  channelId: string,
  route: 'create' | 'edit',
  options: { writesPerSecond?: number; defaults?: MessageBudgetDefaults } = {},
): WriteBudget[] {
  return [observer.messageBudget(channelId, route, options.defaults), discordGlobalBudget(options.writesPerSecond)];
}

/** A follow-up or an edit through an interaction's webhook. */
export function discordWebhookBudgets(interactionId: string, writesPerSecond?: number): WriteBudget[] {
  return [
    { key: `discord:webhook:${interactionId}`, limit: DISCORD_BUDGET_DEFAULTS.webhookLimit, windowMs: DISCORD_BUDGET_DEFAULTS.webhookWindowMs, kind: 'window' },
    discordGlobalBudget(writesPerSecond),
  ];
}

/** "Typing…": its own bucket, and the bot's. Ask with `tryReserveNow` and skip it when busy. */
export function discordTypingBudgets(channelId: string, writesPerSecond?: number): WriteBudget[] {
  return [
    { key: `discord:${channelId}:typing`, limit: DISCORD_BUDGET_DEFAULTS.typingLimit, windowMs: DISCORD_BUDGET_DEFAULTS.typingWindowMs, kind: 'window' },
    discordGlobalBudget(writesPerSecond),
  ];
}

/** What the ingress asks the pacer before posting a placeholder: `pacer.tryReserveNow(request.budgets, { spare: request.spare })`. */
export function discordPlaceholderRequest(observer: RateLimitObserver, channelId: string): { budgets: WriteBudget[]; spare: number } {
  return { budgets: discordMessageBudgets(observer, channelId, 'create'), spare: DISCORD_BUDGET_DEFAULTS.placeholderSpare };
}
