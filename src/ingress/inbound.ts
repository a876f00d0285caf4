import type { Attachment } from '../queue/chat-job.ts';

/** Re-exported for adapters, which may not import `src/queue`. */
export type { Attachment } from '../queue/chat-job.ts';

/**
 * A platform event, once an adapter has read it: who asked, where, what, and where the answer
 * goes. Everything after this point (claim, gate, acknowledgment, placeholder, job, enqueue) is the
 * same for every platform and lives in `src/ingress`.
 */
export interface Inbound {
  /** The adapter's registry name (`discord`, `slack`, `terminal`, ...). */
  platform: string;
  /** The platform's id for the triggering event; the claim and the job id derive from it. */
  eventId: string;
  /** Discord guild id, Slack team id, or `dm`. */
  workspaceId: string;
  /** The channel whose settings apply (a thread's parent). */
  channelId: string;
  /** The thread the answer belongs to (Discord thread channel id, Slack thread_ts). */
  threadId?: string;
  /** The message that triggered the answer (for reply chains). */
  messageId?: string;
  /**
   * The message the trigger replies to, `null` when it replies to none; left out when the platform
   * does not say. The worker skips reading a reply chain that cannot exist.
   */
  replyTo?: string | null;
  user: InboundUser;
  /** A direct message (Discord DM, Slack IM). */
  isDirect: boolean;
  /** What the person asked, as plain text for the model. */
  prompt: string;
  attachments: Attachment[];
  /** One-off model override (`/ask model:`). */
  model?: string;
  /** Answer visible only to the asker, where the platform supports it. */
  private?: boolean;
  /** A slash command: no reply-chain context is read. */
  fromCommand?: boolean;
  /** What made this an answerable event (`mention`, `reply`, `thread`, `dm`, `slash-command`, ...), for logs. */
  trigger: string;
}

export interface InboundUser {
  id: string;
  /** Display name, folded into the model's context. */
  name?: string;
  /** Discord role ids or Slack user-group ids the user belongs to, when known; access rules match them. */
  groups: string[];
  /** May change settings, budgets and access rules (Manage Server / admin role, Slack admin list). */
  isAdmin: boolean;
}
