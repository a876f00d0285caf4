import type { AccessRule } from './governance-config.ts';

/** The lists an access rule holds; admin commands add to and remove from them by these names. */
export const ACCESS_LISTS = ['allowUsers', 'denyUsers', 'allowGroups', 'denyGroups', 'allowChannels', 'denyChannels', 'approverUsers', 'approverGroups'] as const;
export type AccessList = (typeof ACCESS_LISTS)[number];

export interface AccessRequest {
  userId: string;
  groups: readonly string[];
  channelId: string;
  isDirect: boolean;
}

export type AccessDenial = 'user' | 'group' | 'channel' | 'dms' | 'not-listed';

export type AccessVerdict = { allowed: true } | { allowed: false; why: AccessDenial };

export function emptyRule(): AccessRule {
  return { allowUsers: [], denyUsers: [], allowGroups: [], denyGroups: [], allowChannels: [], denyChannels: [], approverUsers: [], approverGroups: [] };
}

/** Lists are joined (config and admin commands add up); `dms` is taken from the last rule that sets it. */
export function mergeRules(...rules: ReadonlyArray<Partial<AccessRule> | undefined>): AccessRule {
  const merged = emptyRule();
  for (const rule of rules) {
    if (!rule) continue;
    for (const list of ACCESS_LISTS) merged[list] = [...new Set([...merged[list], ...(rule[list] ?? [])])];
    if (rule.dms !== undefined) merged.dms = rule.dms;
  }
  return merged;
}

/**
 * Deny wins: a denied user, group or channel at either level is refused whatever an allow list
 * says. Allow lists narrow: a level with allowed users or groups admits only those, and allowed
 * channels keep the bot to them. Nothing configured admits everyone (the default).
 */
export function evaluateAccess(workspace: AccessRule, channel: AccessRule, request: AccessRequest): AccessVerdict {
  const inGroups = (list: readonly string[]) => request.groups.some((group) => list.includes(group));
  for (const rule of [workspace, channel]) {
    if (rule.denyUsers.includes(request.userId)) return { allowed: false, why: 'user' };
    if (inGroups(rule.denyGroups)) return { allowed: false, why: 'group' };
    if (!request.isDirect && rule.denyChannels.includes(request.channelId)) return { allowed: false, why: 'channel' };
  }
  if (request.isDirect) {
    if ((channel.dms ?? workspace.dms) === false) return { allowed: false, why: 'dms' };
  } else {
    const allowedChannels = [...workspace.allowChannels, ...channel.allowChannels];
    if (allowedChannels.length > 0 && !allowedChannels.includes(request.channelId)) return { allowed: false, why: 'channel' };
  }
  for (const rule of [workspace, channel]) {
    if (rule.allowUsers.length === 0 && rule.allowGroups.length === 0) continue;
    if (!rule.allowUsers.includes(request.userId) && !inGroups(rule.allowGroups)) return { allowed: false, why: 'not-listed' };
  }
  return { allowed: true };
}

/** Named approvers at either level (the asker and admins may always decide). */
export function isApprover(workspace: AccessRule, channel: AccessRule, userId: string, groups: readonly string[]): boolean {
  return [workspace, channel].some((rule) => rule.approverUsers.includes(userId) || groups.some((group) => rule.approverGroups.includes(group)));
}

/** Short, private, and says why: a refusal must not read like an outage. */
export function describeDenial(why: AccessDenial): string {
  switch (why) {
    case 'user':
      return 'You are not allowed to use the assistant here.';
    case 'group':
      return 'One of your roles or groups is not allowed to use the assistant here.';
    case 'channel':
      return 'The assistant is not available in this channel.';
    case 'dms':
      return 'The assistant does not answer direct messages in this workspace.';
    case 'not-listed':
      return 'The assistant is limited to certain people here, and you are not on the list.';
  }
}
