import type { Logger } from '../observability/logger.ts';
import type { ChatJobInput } from '../queue/chat-job.ts';
import type { CompletionField } from '../commands/command-completions.ts';
import type { CommandInvocation, CommandReply } from '../commands/types.ts';
import type { ApprovalClick, ApprovalClickResult } from '../tools/approval/approval-types.ts';
import type { FeedbackVotes } from '../feedback/index.ts';
import type { IngressGate } from './gate.ts';
import type { IngressOutbox } from './outbox.ts';
import type { PlaceholderPacer } from './placeholder-pacer.ts';

export type { CommandInvocation, CommandReply } from '../commands/types.ts';
export type { ApprovalClick, ApprovalClickResult, ApprovalDecision } from '../tools/approval/approval-types.ts';

/**
 * What the composition root (`src/cli/roles.ts`) hands each platform adapter's ingress: everything
 * the gateway role may do, none of it platform-specific. Adapters never touch BullMQ or the model
 * client directly; answerable events go through `createIngressPipeline(services)`.
 */

export interface EnqueueResult {
  jobId: string;
  /** A job with this event id already existed: nothing new was queued. */
  duplicate: boolean;
}

export interface IngressServices {
  readonly log: Logger;
  /** Access, budget and fairness, checked before anything is posted. @defaultValue OPEN_GATE */
  readonly gate?: IngressGate;
  /** Asked before each placeholder. @defaultValue ALWAYS_POST_PLACEHOLDER */
  readonly placeholderPacer?: PlaceholderPacer;
  /**
   * Where accepted requests wait while Redis is unreachable (the gateway role has one; shutdown
   * drains it). @defaultValue none: a Redis failure fails the request at once
   */
  readonly outbox?: IngressOutbox;
  /**
   * Claims a platform event id once (Redis SET NX with a day's expiry). Ingress calls it before
   * posting a placeholder, so a redelivered event neither posts nor enqueues twice.
   */
  claimEvent(platform: string, eventId: string): Promise<boolean>;
  /** Validates and enqueues; jobId derives from the event id. */
  enqueue(job: ChatJobInput): Promise<EnqueueResult>;
  /** Asks whichever worker runs the job to stop it. Resolves false when the job is unknown or finished. */
  cancel(jobId: string, requestedBy: string): Promise<boolean>;
  /** Settings / tools / usage / help commands (the `ask` command enqueues instead). */
  runCommand(command: CommandInvocation): Promise<CommandReply>;
  /** An Approve / Deny button press; who clicked is checked here, not assumed. */
  decideApproval(click: ApprovalClick): Promise<ApprovalClickResult>;
  /** Autocomplete: model ids or tool names closest to what was typed. @defaultValue no suggestions */
  completeCommand?(field: CompletionField, query: string): Promise<string[]>;
  /** Is the job's asker allowed to stop it? (asker or admin) */
  canCancel(jobId: string, userId: string, isAdmin: boolean): Promise<boolean>;
  /** 👍 / 👎 on answers, counted once per person per answer. Absent: feedback is only acknowledged. */
  readonly feedback?: FeedbackVotes;
}
