/** Requests and tokens, per user / channel and day, for the `usage` command. */
export interface UsageTotals {
  requests: number;
  inputTokens: number;
  outputTokens: number;
}

export interface UsageRecord {
  platform: string;
  workspaceId: string;
  channelId: string;
  userId: string;
  inputTokens: number;
  outputTokens: number;
  /** Counted once per answer. */
  requests: number;
  at?: Date;
}

export interface UsageReport {
  /** ISO days, newest first. */
  days: Array<{ day: string; user: UsageTotals; channel: UsageTotals }>;
}

export interface UsageReader {
  report(scope: { platform: string; workspaceId: string; channelId: string; userId: string }, days?: number): Promise<UsageReport>;
}
