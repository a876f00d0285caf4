/** The approval vocabulary shared by the broker, the worker and the adapters' buttons. */

export interface ApprovalPrompt {
  approvalId: string;
  jobId: string;
  toolName: string;
  /** Short rendering of the arguments. */
  summary: string;
  /** The asker; they (or an admin) may decide. */
  userId: string;
}

export type ApprovalOutcome = 'approved' | 'denied' | 'timed-out' | 'cancelled';

export type ApprovalDecision = 'approve' | 'deny';

export interface ApprovalClick {
  approvalId: string;
  userId: string;
  isAdmin: boolean;
  decision: ApprovalDecision;
  /** Where the click happened and the clicker's roles / user groups: named approvers and the audit trail use them. */
  platform?: string;
  workspaceId?: string;
  channelId?: string;
  groups?: readonly string[];
}

export type ApprovalClickResult =
  | { status: 'accepted'; toolName: string }
  | { status: 'not-allowed'; message: string }
  | { status: 'already-decided' | 'unknown'; message: string };
