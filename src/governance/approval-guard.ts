import type { ApprovalClick, ApprovalClickResult } from '../tools/approval/approval-types.ts';
import { isApprover } from './access-rules.ts';
import type { AccessStore } from './access-store.ts';
import type { AuditLog } from './audit-log.ts';

/** A button press with where it happened, so named approvers and the audit trail can use it. */
export interface GovernedApprovalClick extends ApprovalClick {
  platform?: string;
  workspaceId?: string;
  channelId?: string;
  /** The clicker's roles / user groups. */
  groups?: readonly string[];
}

/**
 * Wraps the approval broker's `decide`: a named approver (access rules' `approverUsers` /
 * `approverGroups`) may decide like an admin, and every accepted decision goes to the audit trail.
 */
export function governApprovals(
  decide: (click: ApprovalClick) => Promise<ApprovalClickResult>,
  deps: { access: AccessStore; audit: AuditLog },
): (click: GovernedApprovalClick) => Promise<ApprovalClickResult> {
  return async (click) => {
    let mayDecide = click.isAdmin;
    if (!mayDecide && click.platform && click.workspaceId) {
      const rules = await deps.access.rulesFor({ platform: click.platform, workspaceId: click.workspaceId, channelId: click.channelId ?? '' });
      mayDecide = isApprover(rules.workspace, rules.channel, click.userId, click.groups ?? []);
    }
    const result = await decide({ approvalId: click.approvalId, userId: click.userId, isAdmin: mayDecide, decision: click.decision });
    if (result.status === 'accepted') {
      await deps.audit.record({
        platform: click.platform ?? 'unknown',
        workspaceId: click.workspaceId ?? 'unknown',
        ...(click.channelId ? { channelId: click.channelId } : {}),
        actor: click.userId,
        action: 'approval',
        target: `tool ${result.toolName} (approval ${click.approvalId})`,
        before: 'waiting for approval',
        after: click.decision === 'approve' ? 'approved' : 'denied',
      });
    }
    return result;
  };
}
