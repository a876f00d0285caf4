import type { ResolvedLimits, ScopeKind } from './budget-limits.ts';
import type { LedgerScope } from './budget-ledger.ts';

export interface SpendScope {
  platform: string;
  workspaceId: string;
  channelId: string;
  userId: string;
}

/** The ledger's id for a user, channel or workspace. */
export function scopeId(kind: ScopeKind, scope: SpendScope): string {
  const parts = [scope.platform, scope.workspaceId];
  if (kind === 'user') parts.push(scope.userId);
  if (kind === 'channel') parts.push(scope.channelId);
  return parts.map(encodeURIComponent).join(':');
}

/** The three scopes an answer is charged to, with their limits. */
export function ledgerScopes(scope: SpendScope, limits: Record<ScopeKind, ResolvedLimits>): LedgerScope[] {
  return (['user', 'channel', 'workspace'] as const).map((kind) => ({ kind, id: scopeId(kind, scope), limits: limits[kind] }));
}
