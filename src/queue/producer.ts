import { Queue, type Telemetry } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { CHAT_QUEUE } from './queue-names.ts';
import { chatJobSchema, jobIdFor, type ChatJob, type ChatJobInput } from './chat-job.ts';

export interface ChatProducerOptions {
  connection: Redis | Cluster;
  /** BullMQ key prefix. @defaultValue 'ofox' */
  prefix?: string;
  /** Attempts per job when a worker fails outright (stream errors are retried inside one attempt). @defaultValue 3 */
  attempts?: number;
  /** Finished jobs kept for inspection. @defaultValue 1000 */
  keepCompleted?: number;
  /** Failed jobs kept for inspection. @defaultValue 5000 */
  keepFailed?: number;
  /** BullMQ telemetry: the job carries the enqueuer's trace to the worker. @defaultValue none */
  telemetry?: Telemetry;
}

/** Where a job stands, as ingress and the CLI ask it: not there, still to finish, or done. */
export type ChatJobState = 'unknown' | 'running' | 'completed' | 'failed';

export class ChatProducer {
  readonly queue: Queue;
  private readonly attempts: number;
  private readonly keepCompleted: number;
  private readonly keepFailed: number;

  constructor(options: ChatProducerOptions) {
    this.queue = new Queue(CHAT_QUEUE, { connection: options.connection, prefix: options.prefix ?? 'ofox', telemetry: options.telemetry });
    // Connection errors (a Redis restart, a Sentinel failover) reach callers as rejected enqueues;
    // without a listener BullMQ prints each one with its stack to stderr.
    this.queue.on('error', () => {});
    this.attempts = options.attempts ?? 3;
    this.keepCompleted = options.keepCompleted ?? 1_000;
    this.keepFailed = options.keepFailed ?? 5_000;
  }

  /** Enqueues once per platform event: a second call with the same event id returns the first job. */
  async enqueue(input: ChatJobInput): Promise<{ jobId: string; duplicate: boolean }> {
    const job: ChatJob = chatJobSchema.parse(input);
    const jobId = jobIdFor(job.platform, job.eventId);
    const existing = await this.queue.getJob(jobId);
    if (existing) return { jobId, duplicate: true };
    await this.queue.add('answer', job, {
      jobId,
      attempts: this.attempts,
      backoff: { type: 'exponential', delay: 1_000 },
      removeOnComplete: { count: this.keepCompleted, age: 86_400 },
      removeOnFail: { count: this.keepFailed, age: 7 * 86_400 },
    });
    return { jobId, duplicate: false };
  }

  async getJobData(jobId: string): Promise<ChatJob | undefined> {
    const job = await this.queue.getJob(jobId);
    if (!job) return undefined;
    const parsed = chatJobSchema.safeParse(job.data);
    return parsed.success ? parsed.data : undefined;
  }

  /** `running` covers waiting, delayed and active: anything that may still write an answer. */
  async stateOf(jobId: string): Promise<ChatJobState> {
    const job = await this.queue.getJob(jobId);
    if (!job) return 'unknown';
    const state = await job.getState();
    if (state === 'completed' || state === 'failed') return state;
    return state === 'unknown' ? 'unknown' : 'running';
  }

  /** True once the job completed or failed for good (false while it may still run, or when unknown). */
  async isFinished(jobId: string): Promise<boolean> {
    const state = await this.stateOf(jobId);
    return state === 'completed' || state === 'failed';
  }

  close(): Promise<void> {
    return this.queue.close();
  }
}
