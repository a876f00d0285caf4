import { Queue } from 'bullmq';
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
}

export class ChatProducer {
  readonly queue: Queue;
  private readonly attempts: number;
  private readonly keepCompleted: number;
  private readonly keepFailed: number;

  constructor(options: ChatProducerOptions) {
    this.queue = new Queue(CHAT_QUEUE, { connection: options.connection, prefix: options.prefix ?? 'ofox' });
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

  close(): Promise<void> {
    return this.queue.close();
  }
}
