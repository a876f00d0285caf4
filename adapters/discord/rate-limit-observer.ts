import { RESTEvents, type REST } from 'discord.js';
import { transportPacer } from '../../src/render/transport-pacer.ts';
import type { WriteBudget } from '../../src/render/write-budget.ts';

/**
 * What Discord's X-RateLimit headers say about message writes, so budgets are Discord's exact
 * ones, learned rather than probed (429s count towards Discord's invalid-request ban):
 * - `X-RateLimit-Bucket` names the bucket a route draws from: when creates and edits answer with
 *   the same bucket (they do today), one budget per channel covers both;
 * - `-Limit` is the bucket's size, and `-Reset-After` on the response that opened a window (the
 *   one that left `limit - 1`) its length, since a fixed window starts with its first request.
 * Until headers say otherwise, a channel's creates and edits share the documented 5 per 5 s.
 */

export type MessageRoute = 'create' | 'edit';

export interface ObservedBudget {
  limit: number;
  windowMs: number | undefined;
}

export interface MessageBudgetDefaults {
  /** @defaultValue 5 */
  limit: number;
  /** @defaultValue 5_000 */
  windowMs: number;
}

export const DEFAULT_MESSAGE_BUDGET: MessageBudgetDefaults = { limit: 5, windowMs: 5_000 };

const ROUTES: Record<string, MessageRoute> = {
  'POST /channels/:id/messages': 'create',
  'PATCH /channels/:id/messages/:id': 'edit',
};
const MAX_CHANNELS = 10_000;

export class RateLimitObserver {
  private readonly budgets = new Map<string, ObservedBudget>();
  private readonly bucketOf = new Map<MessageRoute, string>();

  constructor(rest: REST | undefined) {
    rest?.on(RESTEvents.Response, (request, response) => {
      const route = ROUTES[`${request.method.toUpperCase()} ${request.route}`];
      const channelId = /^\/channels\/(\d+)\//.exec(String(request.path))?.[1];
      const limit = Number(response.headers.get('x-ratelimit-limit'));
      if (!route || !channelId || !Number.isFinite(limit) || limit <= 0) return;
      const remaining = Number(response.headers.get('x-ratelimit-remaining'));
      const resetAfterSeconds = Number(response.headers.get('x-ratelimit-reset-after'));
      this.record(channelId, route, { bucket: response.headers.get('x-ratelimit-bucket') ?? undefined, limit, remaining, resetAfterSeconds });
      // Discord says the bucket is empty (writes the pacer did not see, say another client's):
      // every worker holds off until it resets, instead of drawing a 429. discord.js itself refuses
      // (rejectOnRateLimit) until the reset plus its offset, so the hold covers the offset too: a
      // grant before then would be refused unsent and its token lost for a window.
      if (remaining === 0 && resetAfterSeconds > 0) {
        const offset = typeof rest.options.offset === 'function' ? rest.options.offset(request.route) : rest.options.offset;
        void transportPacer()?.holdOff([this.messageBudget(channelId, route)], Math.ceil(resetAfterSeconds * 1000) + Math.max(0, offset));
      }
    });
  }

  record(channelId: string, route: MessageRoute, headers: { bucket?: string; limit: number; remaining: number; resetAfterSeconds: number }): void {
    if (headers.bucket) this.bucketOf.set(route, headers.bucket);
    const key = this.budgetKey(channelId, route);
    const previous = this.budgets.get(key);
    const opensWindow = headers.remaining === headers.limit - 1 && Number.isFinite(headers.resetAfterSeconds) && headers.resetAfterSeconds > 0;
    const windowMs = opensWindow ? Math.ceil((headers.resetAfterSeconds * 1000) / 100) * 100 : previous?.windowMs;
    if (!previous && this.budgets.size >= MAX_CHANNELS) {
      const oldest = this.budgets.keys().next().value;
      if (oldest !== undefined) this.budgets.delete(oldest);
    }
    this.budgets.set(key, { limit: headers.limit, windowMs });
  }

  /** True unless the headers named different buckets for creates and edits. */
  get createsAndEditsShareABucket(): boolean {
    const create = this.bucketOf.get('create');
    const edit = this.bucketOf.get('edit');
    return create === undefined || edit === undefined || create === edit;
  }

  /** The budget a create or an edit of a message in the channel draws from. */
  messageBudget(channelId: string, route: MessageRoute, defaults: MessageBudgetDefaults = DEFAULT_MESSAGE_BUDGET): WriteBudget {
    const key = this.budgetKey(channelId, route);
    const observed = this.budgets.get(key);
    return { key, limit: observed?.limit ?? defaults.limit, windowMs: observed?.windowMs ?? defaults.windowMs, kind: 'window' };
  }

  private budgetKey(channelId: string, route: MessageRoute): string {
    return this.createsAndEditsShareABucket ? `discord:${channelId}:messages` : `discord:${channelId}:${route}`;
  }
}
