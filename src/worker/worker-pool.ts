import { Worker, type Job, type Processor } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { CHAT_QUEUE } from '../queue/queue-names.ts';

export interface WorkerPoolOptions {
  processor: Processor;
  /** One connection per Worker: each blocks on Redis while it waits for jobs. */
  connect: () => Redis | Cluster;
  /** BullMQ key prefix. */
  prefix: string;
  /**
   * One Worker fetches one job per Redis round trip, so several Workers pick up a burst sooner.
   * @defaultValue 4
   */
  instances?: number;
  /** Answers in flight per Worker; streaming is I/O bound. @defaultValue 100 */
  concurrency?: number;
  /** How long a job's lock lives without renewal; a crashed worker's job is recovered after it. @defaultValue 30_000 */
  lockDurationMs?: number;
  /** @defaultValue lockDurationMs */
  stalledIntervalMs?: number;
  log: Logger;
  /**
   * A job failed for good without its processor writing the outcome (it stalled too often, or its
   * data was unusable): the last chance to replace a stuck "thinking…" with an error.
   */
  onFailedForGood?: (job: Job, error: Error) => Promise<void>;
}

export class WorkerPool {
  readonly workers: Worker[];
  private readonly log: Logger;

  constructor(options: WorkerPoolOptions) {
    this.log = options.log;
    const lockDuration = options.lockDurationMs ?? 30_000;
    this.workers = Array.from({ length: options.instances ?? 4 }, (_, index) => {
      const worker = new Worker(CHAT_QUEUE, options.processor, {
        connection: options.connect(),
        prefix: options.prefix,
        concurrency: options.concurrency ?? 100,
        lockDuration,
        stalledInterval: options.stalledIntervalMs ?? lockDuration,
        // A job that keeps killing workers is not retried forever.
        maxStalledCount: 2,
        autorun: false,
        name: `ofox-worker-${process.pid}-${index}`,
      });
      worker.on('failed', (job, error) => {
        this.log.warn({ jobId: job?.id, err: error }, 'job failed');
        const forGood = job && (job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError' || /stalled/i.test(error.message));
        if (forGood && error.name !== 'WaitingError') {
          void options.onFailedForGood?.(job, error).catch((reportError: unknown) => this.log.error({ jobId: job.id, err: reportError }, 'could not report the failure in the chat'));
        }
      });
      worker.on('error', (error) => this.log.error({ err: error }, 'worker error'));
      // Another worker will pick these jobs up as stalled: stop writing to their messages now.
      worker.on('lockRenewalFailed', (jobIds) => {
        for (const jobId of jobIds) {
          this.log.warn({ jobId }, 'job lock lost; cancelling it here');
          worker.cancelJob(jobId, 'lock lost');
        }
      });
      worker.on('stalled', (jobId) => this.log.warn({ jobId }, 'job stalled; it will be picked up again'));
      return worker;
    });
  }

  start(): void {
    for (const worker of this.workers) void worker.run().catch((error: unknown) => this.log.error({ err: error }, 'worker loop ended'));
  }

  /** Waits until every Worker's connection is ready to receive jobs. */
  async waitUntilReady(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.waitUntilReady()));
  }

  /**
   * Graceful stop: take no new jobs, let running answers finish within the grace period, then
   * `onDeadline` (which aborts the rest so they hand their jobs back) and close for good.
   */
  async stop(graceMs: number, onDeadline: () => void): Promise<void> {
    const closing = Promise.all(this.workers.map((worker) => worker.close()));
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'deadline'>((resolve) => {
      timer = setTimeout(() => resolve('deadline'), graceMs);
    });
    const first = await Promise.race([closing.then(() => 'closed' as const), deadline]);
    clearTimeout(timer);
    if (first === 'deadline') {
      this.log.warn({ graceMs }, 'grace period over; handing running answers back to the queue');
      onDeadline();
      await Promise.race([closing, new Promise((resolve) => setTimeout(resolve, 5_000))]);
      await Promise.all(this.workers.map((worker) => worker.close(true)));
    }
  }
}
