import { RESTEvents, type REST } from 'discord.js';

/**
 * What Discord's X-RateLimit headers say about message edits in each channel, so the surface
 * reports the real budget instead of trusting a constant. A fixed window starts with its first
 * request, so `Reset-After` on a response that left `limit - 1` is the window's length.
 */

export interface ObservedBudget {
  limit: number;
  windowMs: number | undefined;
}

const EDIT_ROUTE = '/channels/:id/messages/:id';
const MAX_CHANNELS = 10_000;

export class RateLimitObserver {
  private readonly budgets = new Map<string, ObservedBudget>();

  constructor(rest: REST) {
    rest.on(RESTEvents.Response, (request, response) => {
      if (request.method.toUpperCase() !== 'PATCH' || request.route !== EDIT_ROUTE) return;
      const channelId = /^\/channels\/(\d+)\//.exec(String(request.path))?.[1];
      const limit = Number(response.headers.get('x-ratelimit-limit'));
      if (!channelId || !Number.isFinite(limit) || limit <= 0) return;
      const remaining = Number(response.headers.get('x-ratelimit-remaining'));
      const resetAfterSeconds = Number(response.headers.get('x-ratelimit-reset-after'));
      this.record(channelId, limit, remaining, resetAfterSeconds);
    });
  }

  record(channelId: string, limit: number, remaining: number, resetAfterSeconds: number): void {
    const previous = this.budgets.get(channelId);
    const opensWindow = remaining === limit - 1 && Number.isFinite(resetAfterSeconds) && resetAfterSeconds > 0;
    const windowMs = opensWindow ? Math.ceil((resetAfterSeconds * 1000) / 100) * 100 : previous?.windowMs;
    if (!previous && this.budgets.size >= MAX_CHANNELS) {
      const oldest = this.budgets.keys().next().value;
      if (oldest !== undefined) this.budgets.delete(oldest);
    }
    this.budgets.set(channelId, { limit, windowMs });
  }

  editBudget(channelId: string): ObservedBudget | undefined {
    return this.budgets.get(channelId);
  }
}
