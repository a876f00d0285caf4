import type { WriteBudget } from '../../src/render/write-budget.ts';

/**
 * Slack's rate limits as the pacer's budgets, per app per workspace and per method, for the surface
 * and for the ingress (placeholders), so both spend from the same keys. Slack publishes floors
 * ("50+ a minute", "sporadic bursts welcome") and does not ban for 429s, so every budget starts at
 * the documented tier with its burst and is adaptive: it grows while Slack grants and shrinks on a
 * 429, whose Retry-After is honoured (see `write-budget.ts`).
 */

export const SLACK_BUDGET_DEFAULTS = {
  /** Tier 3. @defaultValue 50 a minute, burst 50 */
  updatesPerMinute: 50,
  /** Tier 4. @defaultValue 100 a minute, burst 100 */
  appendsPerMinute: 100,
  /** chat.postMessage and chat.startStream in one channel, and apart chat.stopStream. @defaultValue 1 a second, burst 3 */
  postsPerChannelBurst: 3,
  postsPerChannelPerSecond: 1,
  /**
   * The channel's refill is counted this much slower. A burst of events (many mentions at once)
   * delays the first calls of a channel on their way to Slack more than later ones, and Slack
   * counts arrivals: with the pacer's own small margin alone, a fourth call granted a second after
   * the first has been seen refused (the bench's 50 answers over 10 channels). @defaultValue 0.1
   */
  channelArrivalAllowance: 0.1,
  /** The same methods together, workspace-wide. @defaultValue 100 a minute, burst 100 */
  postsPerMinute: 100,
  /**
   * Tokens a placeholder must leave: none, since on Slack the placeholder is the answer's one post
   * (or stream start) and its first text then goes out as an append or update. @defaultValue 0
   */
  placeholderSpare: 0,
} as const;

function bucket(key: string, limit: number, windowMs: number): WriteBudget {
  return { key, limit, windowMs, kind: 'bucket', adaptive: true };
}

/** chat.postMessage and chat.startStream (each a new message in the channel): the channel's budget, then the workspace's. */
export function slackPostBudgets(workspaceId: string, channelId: string): WriteBudget[] {
  return [channelBucket(workspaceId, channelId, 'posts'), workspacePosts(workspaceId)];
}

/**
 * chat.stopStream: the channel's stop budget, then the workspace's post pool. Slack meters each
 * method per channel (a stop posts no new message), so stops have their own 1 a second, burst 3,
 * beside the channel's posts; the workspace's 100 a minute is shared by all three methods. Apart,
 * an answer's final stop never waits behind another answer's start in the same channel.
 */
export function slackStopBudgets(workspaceId: string, channelId: string): WriteBudget[] {
  return [channelBucket(workspaceId, channelId, 'stops'), workspacePosts(workspaceId)];
}

function channelBucket(workspaceId: string, channelId: string, kind: 'posts' | 'stops'): WriteBudget {
  const { postsPerChannelBurst, postsPerChannelPerSecond, channelArrivalAllowance } = SLACK_BUDGET_DEFAULTS;
  return bucket(`slack:${workspaceId}:${channelId}:${kind}`, postsPerChannelBurst, Math.round((postsPerChannelBurst / postsPerChannelPerSecond) * 1_000 * (1 + channelArrivalAllowance)));
}

function workspacePosts(workspaceId: string): WriteBudget {
  return bucket(`slack:${workspaceId}:posts`, SLACK_BUDGET_DEFAULTS.postsPerMinute, 60_000);
}

export function slackUpdateBudget(workspaceId: string): WriteBudget {
  return bucket(`slack:${workspaceId}:chat.update`, SLACK_BUDGET_DEFAULTS.updatesPerMinute, 60_000);
}

export function slackAppendBudget(workspaceId: string): WriteBudget {
  return bucket(`slack:${workspaceId}:chat.appendStream`, SLACK_BUDGET_DEFAULTS.appendsPerMinute, 60_000);
}

/** What the ingress asks the pacer before posting a placeholder: `pacer.tryReserveNow(request.budgets, { spare: request.spare })`. */
export function slackPlaceholderRequest(workspaceId: string, channelId: string): { budgets: WriteBudget[]; spare: number } {
  return { budgets: slackPostBudgets(workspaceId, channelId), spare: SLACK_BUDGET_DEFAULTS.placeholderSpare };
}

/** files.getUploadURLExternal and files.completeUploadExternal are Tier 4: 100+ a minute each, per workspace. */
export const SLACK_FILE_BUDGET_DEFAULTS = {
  /** @defaultValue 100 a minute, burst 100 */
  callsPerMinute: 100,
} as const;

/**
 * One `files.uploadV2` (one call to the web client, two metered calls to Slack): the channel's post
 * budget first, since the completion shares the file as a message in the thread (Slack's one
 * message a second per channel), then each Tier 4 method's workspace budget. The workspace's post
 * pool is not drawn: it meters chat.postMessage and streams, which an upload does not call.
 */
export function slackFileUploadBudgets(workspaceId: string, channelId: string): WriteBudget[] {
  const { callsPerMinute } = SLACK_FILE_BUDGET_DEFAULTS;
  return [
    slackPostBudgets(workspaceId, channelId)[0]!,
    bucket(`slack:${workspaceId}:files.getUploadURLExternal`, callsPerMinute, 60_000),
    bucket(`slack:${workspaceId}:files.completeUploadExternal`, callsPerMinute, 60_000),
  ];
}

/** Calls a minute of Slack's published tiers, per method per app per workspace. */
export const SLACK_TIER_PER_MINUTE = { tier3: 50, tier4: 100 } as const;

/** chat.postEphemeral (a note only one person sees): Tier 4. */
export function slackEphemeralBudget(workspaceId: string): WriteBudget {
  return bucket(`slack:${workspaceId}:chat.postEphemeral`, SLACK_TIER_PER_MINUTE.tier4, 60_000);
}

/** chat.delete (a placeholder another attempt made redundant): Tier 3. */
export function slackDeleteBudget(workspaceId: string): WriteBudget {
  return bucket(`slack:${workspaceId}:chat.delete`, SLACK_TIER_PER_MINUTE.tier3, 60_000);
}

/**
 * assistant.threads.setStatus ("Special": Slack publishes no figure), setTitle and
 * setSuggestedPrompts (Tier 4): each its own budget, starting at Tier 4 and adaptive like the rest.
 */
export function slackAssistantBudget(workspaceId: string, method: 'setStatus' | 'setTitle' | 'setSuggestedPrompts'): WriteBudget {
  return bucket(`slack:${workspaceId}:assistant.threads.${method}`, SLACK_TIER_PER_MINUTE.tier4, 60_000);
}
