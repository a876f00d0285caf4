/** Requests, tokens and cost, per user / channel / workspace and day. */
export interface UsageTotals {
  requests: number;
  /** Every prompt token, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** Of `inputTokens`, read from the provider's prompt cache. */
  cachedInputTokens: number;
  /** Nano-dollars (1e-9 USD), priced from the model list; images included. */
  costNanoUsd: number;
  /** Images the `image` tool had generated (their cost is in `costNanoUsd`). */
  images: number;
}

export interface UsageRecord {
  platform: string;
  workspaceId: string;
  channelId: string;
  userId: string;
  /** The model that answered (prices differ per model). */
  model?: string;
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens?: number;
  cacheWriteTokens?: number;
  /** What the answer cost, in nano-dollars; absent when no price was known. */
  costNanoUsd?: number;
  /** Counted once per answer (0 for an image the `image` tool made within an answer). */
  requests: number;
  /** Images generated. @defaultValue 0 */
  images?: number;
  at?: Date;
}

export interface UsageReport {
  /** ISO days, newest first. */
  days: Array<{ day: string; user: UsageTotals; channel: UsageTotals }>;
}

export type UsageRankKind = 'user' | 'channel' | 'model';

/** One row of a "top spenders" table: a user, a channel or a model over a period. */
export interface UsageRow extends UsageTotals {
  kind: UsageRankKind;
  platform: string;
  workspaceId: string;
  /** User id, channel id or model id. */
  id: string;
}

export interface UsageReader {
  report(scope: { platform: string; workspaceId: string; channelId: string; userId: string }, days?: number): Promise<UsageReport>;
  /** The biggest spenders over the last `days` days (today included), most expensive first. */
  top(kind: UsageRankKind, options: { days: number; limit?: number; workspace?: { platform: string; workspaceId: string } }): Promise<UsageRow[]>;
}
