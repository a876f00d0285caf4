/**
 * The pacing model every platform write goes through, whatever the platform. A write draws one
 * token from each of the platform's budgets it counts against (Discord: the channel's message
 * bucket and the bot-wide global limit; Slack: the method's budget in the workspace, and for posts
 * and streams the channel's and the workspace's). Budgets are shared by every worker (in Redis).
 *
 * Waiting writes are served by priority, not arrival:
 *  1. `first-text`: the write that makes an answer's first text visible;
 *  2. `final`: the last write of a message (its complete text);
 *  3. `update`: an intermediate snapshot of an answer people can already read.
 * Within a class the longest-waiting write goes first. Priority is by aging, so nothing starves:
 * a waiting write's rank is its waiting start plus its class's handicap ({@link CLASS_HANDICAP_MS}),
 * so an update that has waited longer than its handicap goes before a first text that just came.
 */

export type WriteClass = 'first-text' | 'final' | 'update';

/** How much later than a first text a write of each class ranks, at the same waiting start. */
export const CLASS_HANDICAP_MS: Readonly<Record<WriteClass, number>> = {
  'first-text': 0,
  final: 10_000,
  update: 20_000,
};

/**
 * Tokens a write of each class must leave in every budget it draws from. An update leaves one, so
 * a budget that updates alone would drain always keeps a token for the next first text or final
 * write: those go out at once instead of a window later (on Discord, 4 of each 5 writes per 5 s
 * can be updates, and an answer's end shows within a round trip of the model's last token).
 */
export const RESERVED_FOR_PRIORITY: Readonly<Record<WriteClass, number>> = {
  'first-text': 0,
  final: 0,
  update: 1,
};

/**
 * How long a joined answer keeps its place before its first text asks (the model's first token):
 * long enough for a slow start, short enough that an answer that died unseen holds no token long.
 */
export const JOIN_LEASE_MS = 10_000;

/** One of the platform's rate limits. */
export interface WriteBudget {
  /** Names the budget; every worker that uses the same key shares it. Kept under the pacer's key prefix. */
  key: string;
  /** Writes per `windowMs` (for a bucket: also its burst). */
  limit: number;
  windowMs: number;
  /**
   * `window`: never more than `limit` writes in any `windowMs` (Discord's fixed windows, which start
   * at the first request: a sliding log never overruns them). `bucket`: a token bucket holding
   * `limit`, refilled at `limit` per `windowMs` (Slack's tiers, which welcome bursts).
   */
  kind: 'window' | 'bucket';
  /**
   * The limit is a published floor, not an exact figure (Slack): the budget grows while the
   * platform grants and backs off on a 429 ({@link ADAPT}). Never for Discord, where headers give
   * the exact budget and 429s count towards a ban. @defaultValue false
   */
  adaptive?: boolean;
}

/**
 * How adaptive budgets move, shared by the local and the Redis pacer. Growth is one token per
 * window after every `raiseAfterGrants` grants without a 429, so probing past a limit costs at most
 * about one 429 per hundred writes. A 429 takes back two such steps (never below the published
 * floor); a 429 at the floor shrinks the budget by `shrinkAtFloor`.
 */
export const ADAPT = {
  raiseAfterGrants: 100,
  stepsBackOn429: 2,
  shrinkAtFloor: 0.9,
  minFactor: 0.5,
  maxFactor: 3,
} as const;

/**
 * Slots are counted on the pacer's clock, but writes reach the platform a little later (reply
 * delivery, event-loop lag) and the platform counts arrivals; a `window` budget's window is
 * stretched by this much so a busy channel's writes never land inside the previous window.
 */
export function windowMarginMs(windowMs: number): number {
  return Math.max(100, Math.round(windowMs * 0.02));
}

/**
 * The same for a `bucket` budget: it refills as if its window were this much longer, so a token the
 * pacer grants the moment it refills is there too when the request reaches the platform.
 */
export function bucketMarginMs(windowMs: number): number {
  return Math.max(100, Math.round(windowMs * 0.05));
}

/**
 * How late a grant may reach its writer and still be used: the smallest margin of the budgets it
 * drew from. The pacer stamps a grant when it takes the token, the platform counts the request when
 * it arrives; a reply that sat in a busy event loop for longer than the margin would reach the
 * platform in a window the pacer already counted as free (a bot-wide 429 under load), so such a
 * grant is not used: its token goes back (nothing reached the platform) and the write asks again.
 */
export function freshGrantMs(budgets: readonly { windowMs: number; kind: 'window' | 'bucket' }[]): number {
  return Math.min(...budgets.map((budget) => pacedWindowMs(budget) - budget.windowMs));
}

/**
 * How old a grant may be as its request leaves (`WritePacer.sendingNow`): half the margin, since
 * the other half is the request's own way to the platform (the client's send, the network, the
 * platform's reading), which nothing can check any more.
 */
export function sendableGrantMs(budgets: readonly { windowMs: number; kind: 'window' | 'bucket' }[]): number {
  return freshGrantMs(budgets) / 2;
}

/** The wait a pacer hands back for a grant that will not be sent (it came, or would leave, too late): ask again at once. */
export const STALE_GRANT_RETRY_MS = 1;

/** The window the pacer counts with: the platform's, stretched by the margin of its kind. */
export function pacedWindowMs(budget: { windowMs: number; kind: 'window' | 'bucket' }): number {
  return budget.windowMs + (budget.kind === 'window' ? windowMarginMs(budget.windowMs) : bucketMarginMs(budget.windowMs));
}

export interface PermitRequest {
  /** The first budget is the one whose waiting writes are ranked by priority (the channel's); the others only need a token. */
  budgets: readonly WriteBudget[];
  writeClass: WriteClass;
  /** One per answer: the same ticket keeps its place in line while it waits and asks again. */
  ticket: string;
}

export interface WritePacer {
  /**
   * Asks for one write now. Resolves 0 when granted (a token of every budget is spent: write at
   * once), else the milliseconds to wait before asking again with the same ticket, which keeps
   * its place in line. Never rejects: an implementation that cannot reach shared state paces
   * locally instead.
   */
  acquire(request: PermitRequest): Promise<number>;
  /**
   * The ticket's answer has begun and will want its first text written: it takes its place in the
   * first budget's line now, as a first text waiting since now, without asking for a token. Updates
   * and finals of answers already showing text then leave the tokens it will need (on Discord, five
   * answers at once in one channel all show text within the first window). The place lasts
   * {@link JOIN_LEASE_MS} unless the ticket asks or withdraws first. Never rejects.
   */
  join?(request: Omit<PermitRequest, 'writeClass'>): Promise<void>;
  /** The ticket no longer waits (its answer has nothing to send, or was abandoned). Never rejects. */
  withdraw(ticket: string, budgets: readonly WriteBudget[]): Promise<void>;
  /**
   * The write last granted to `request.ticket` leaves for the platform only now, `heldMs` after
   * the grant reached its writer (it queued in the platform client behind another request of its
   * route, say). A grant older than half its budgets' margin (`sendableGrantMs`) could land in a window
   * the pacer already counted as free, so its tokens move to now; a token that has already left
   * its window goes back with the others instead. Resolves 0: send now; else the ms to wait
   * before `acquire` again (the ticket keeps its place in line). See `grant-scope.ts`. Never rejects.
   */
  sendingNow?(request: PermitRequest, heldMs: number): Promise<number>;
  /**
   * Non-blocking: true (and a token of every budget spent) only if nobody waits on the first budget
   * and every budget keeps at least `spare` tokens after this one (one number for all, or one per
   * budget). For writes that can be left out when the platform is busy (an ingress placeholder, a
   * typing indicator). False while the shared budgets cannot be read (Redis away). Never rejects.
   */
  tryReserveNow(budgets: readonly WriteBudget[], options?: { spare?: number | readonly number[] }): Promise<boolean>;
  /**
   * The platform refused a write (429) or said a budget is empty: no token of these budgets is
   * granted for `delayMs`; an adaptive budget also shrinks. Never rejects.
   */
  holdOff(budgets: readonly WriteBudget[], delayMs: number): Promise<void>;
}

/** The budgets a surface without its own (`Surface.budgetsFor`) declares through its limits. */
export function budgetsFromLimits(
  channelKey: string,
  limits: { channelEditsPerWindow?: number; channelWindowMs?: number },
): WriteBudget[] {
  if (limits.channelEditsPerWindow === undefined || limits.channelWindowMs === undefined) return [];
  return [{ key: channelKey, limit: limits.channelEditsPerWindow, windowMs: limits.channelWindowMs, kind: 'window' }];
}
