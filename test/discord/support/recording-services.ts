import { Redis } from 'ioredis';
import type { ApprovalClick, ApprovalClickResult, CommandInvocation, CommandReply, EnqueueResult, IngressServices } from '../../../src/ingress/services.ts';
import { silentLogger, type Logger } from '../../../src/observability/index.ts';
import { jobIdFor, type ChatJobInput } from '../../../src/queue/chat-job.ts';

/**
 * IngressServices that record what ingress asked for. `claimEvent` is a real Redis SET NX, so two
 * gateways sharing one Redis dedupe exactly like production.
 */
export class RecordingServices implements IngressServices {
  readonly log: Logger;
  readonly redis: Redis;
  readonly prefix: string;
  readonly jobs: ChatJobInput[] = [];
  readonly claims: string[] = [];
  readonly commands: CommandInvocation[] = [];
  readonly clicks: ApprovalClick[] = [];
  readonly cancels: { jobId: string; requestedBy: string }[] = [];
  enqueueError: Error | undefined;
  commandReply: CommandReply = { text: 'ok', ephemeral: true };
  /** How long a settings command takes to answer. */
  commandDelayMs = 0;
  approvalResult: ApprovalClickResult = { status: 'accepted', toolName: 'fetch_url' };
  /** Who may stop: the asker of a recorded job, or an admin. */
  cancelResult = true;

  constructor(redisUrl: string, prefix: string, log: Logger = silentLogger()) {
    this.redis = new Redis(redisUrl, { maxRetriesPerRequest: 2 });
    this.prefix = prefix;
    this.log = log;
  }

  async claimEvent(platform: string, eventId: string): Promise<boolean> {
    this.claims.push(eventId);
    return (await this.redis.set(`${this.prefix}:event:${platform}:${eventId}`, '1', 'EX', 60, 'NX')) === 'OK';
  }

  async enqueue(job: ChatJobInput): Promise<EnqueueResult> {
    if (this.enqueueError) throw this.enqueueError;
    const jobId = jobIdFor(job.platform, job.eventId);
    const duplicate = this.jobs.some((existing) => existing.eventId === job.eventId);
    if (!duplicate) this.jobs.push(job);
    return { jobId, duplicate };
  }

  async cancel(jobId: string, requestedBy: string): Promise<boolean> {
    this.cancels.push({ jobId, requestedBy });
    return this.cancelResult;
  }

  async runCommand(command: CommandInvocation): Promise<CommandReply> {
    this.commands.push(command);
    if (this.commandDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, this.commandDelayMs));
    return this.commandReply;
  }

  async decideApproval(click: ApprovalClick): Promise<ApprovalClickResult> {
    this.clicks.push(click);
    return this.approvalResult;
  }

  async canCancel(jobId: string, userId: string, isAdmin: boolean): Promise<boolean> {
    if (isAdmin) return true;
    const job = this.jobs.find((candidate) => jobIdFor(candidate.platform, candidate.eventId) === jobId);
    return job?.userId === userId;
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}
