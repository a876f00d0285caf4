import { Worker, type Job, type Processor, type Telemetry } from 'bullmq';
import type { Cluster, Redis } from 'ioredis';
import { describeConnectionError, isConnectionError } from '../observability/dependency-state.ts';
import type { Logger } from '../observability/logger.ts';
import { CHAT_QUEUE } from '../queue/queue-names.ts';
import { JobLease, runWithJobLease } from './job-lease.ts';

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
  /**
   * How long a job's lock lives without renewal. A crashed worker's answer resumes elsewhere about
   * this long after the crash (plus up to two stalled-check intervals). Shorter recovers sooner but
   * hands an answer over (and pays for its model request again) after a shorter Redis outage or
   * event-loop stall. @defaultValue 6_000
   */
  lockDurationMs?: number;
  /** How often running jobs' locks are renewed. @defaultValue lockDurationMs / 4 */
  lockRenewMs?: number;
  /**
   * How often the queue is checked for jobs whose worker died. Only the first Worker of each pool
   * checks: Redis runs at most one check per interval whatever the number of workers (a shared
   * key gates it), and each check costs a scan of the active list. @defaultValue lockDurationMs / 4
   */
  stalledIntervalMs?: number;
  /**
   * Times a job may be recovered from a dead worker before it fails for good (a job that keeps
   * killing workers is not retried forever). @defaultValue 2
   */
  maxStalledCount?: number;
  /**
   * A platform write must start at least this long before the job's lock could expire, so it
   * lands before another worker can take the answer over. @defaultValue lockDurationMs / 4
   */
  writeMarginMs?: number;
  log: Logger;
  /**
   * A job failed for good without its processor writing the outcome (it stalled too often, or its
   * data was unusable): the last chance to replace a stuck "thinking…" with an error.
   */
  onFailedForGood?: (job: Job, error: Error) => Promise<void>;
  /** BullMQ telemetry (traces), continuing the trace the job was enqueued in. @defaultValue none */
  telemetry?: Telemetry;
}

const DEFAULTS = {
  instances: 4,
  concurrency: 100,
  lockDurationMs: 6_000,
  maxStalledCount: 2,
};

/**
 * A BullMQ Worker that tells each job's {@link JobLease} when its lock was renewed (or found gone).
 * The time a renewal was *sent* plus the lock duration is a safe lower bound of the lock's life.
 */
class LeasedWorker extends Worker {
  readonly leases = new Map<string, JobLease>();

  override async extendJobLocks(jobIds: string[], tokens: string[], duration: number): Promise<string[]> {
    const sentAt = performance.now();
    const failed = await super.extendJobLocks(jobIds, tokens, duration);
    jobIds.forEach((jobId, index) => {
      const lease = this.leases.get(tokens[index] ?? '');
      if (!lease) return;
      if (failed.includes(jobId)) lease.markLost();
      else lease.renewed(sentAt, duration);
    });
    return failed;
  }
}

export class WorkerPool {
  readonly workers: Worker[];
  private readonly log: Logger;
  /**
   * While Redis is away every Worker emits an `error` per reconnect attempt (every 200 ms to 5 s,
   * for each connection): the first one of an outage is logged, the rest are not, until one of
   * the pool's connections is ready again.
   */
  private redisAway = false;

  constructor(options: WorkerPoolOptions) {
    this.log = options.log;
    const lockDuration = options.lockDurationMs ?? DEFAULTS.lockDurationMs;
    const quarter = Math.max(100, Math.floor(lockDuration / 4));
    const marginMs = options.writeMarginMs ?? quarter;
    this.workers = Array.from({ length: options.instances ?? DEFAULTS.instances }, (_, index) => {
      const connection = options.connect();
      connection.on('ready', () => {
        this.redisAway = false;
      });
      const worker: LeasedWorker = new LeasedWorker(CHAT_QUEUE, (job: Job, token?: string, signal?: AbortSignal) => this.process(worker, options.processor, job, token, signal, lockDuration, marginMs), {
        connection,
        prefix: options.prefix,
        concurrency: options.concurrency ?? DEFAULTS.concurrency,
        lockDuration,
        lockRenewTime: options.lockRenewMs ?? quarter,
        stalledInterval: options.stalledIntervalMs ?? quarter,
        skipStalledCheck: index > 0,
        maxStalledCount: options.maxStalledCount ?? DEFAULTS.maxStalledCount,
        autorun: false,
        name: `ofox-worker-${process.pid}-${index}`,
        telemetry: options.telemetry,
      });
      worker.on('failed', (job, error) => {
        this.log.warn({ jobId: job?.id, err: error }, 'job failed');
        const forGood = job && (job.attemptsMade >= (job.opts.attempts ?? 1) || error.name === 'UnrecoverableError' || /stalled/i.test(error.message));
        if (forGood && error.name !== 'WaitingError') {
          void options.onFailedForGood?.(job, error).catch((reportError: unknown) => this.log.error({ jobId: job.id, err: reportError }, 'could not report the failure in the chat'));
        }
      });
      worker.on('error', (error) => this.onWorkerError(error));
      worker.on('stalled', (jobId) => this.log.warn({ jobId }, 'job stalled; it will be picked up again'));
      return worker;
    });
  }

  private onWorkerError(error: Error): void {
    if (!isConnectionError(error)) {
      this.log.error({ err: error }, 'worker error');
      return;
    }
    if (this.redisAway) return;
    this.redisAway = true;
    // One line, no stack: the connection's own watcher tells when Redis is back.
    this.log.warn({ cause: describeConnectionError(error) }, 'workers lost their Redis connection; they reconnect quietly');
  }

  /** Runs the processor with the job's lease in reach of every platform write it makes. */
  private async process(worker: LeasedWorker, processor: Processor, job: Job, token: string | undefined, signal: AbortSignal | undefined, lockDuration: number, marginMs: number): Promise<unknown> {
    const jobId = job.id;
    if (!token || !jobId) return processor(job, token, signal);
    // The lock was set when the job was taken, no earlier than `processedOn` (stamped when the
    // request was sent); without it, the first write confirms the lock first.
    const takenAgoMs = job.processedOn ? Math.max(0, Date.now() - job.processedOn) : lockDuration;
    const lease = new JobLease({
      jobId,
      expiresAt: performance.now() - takenAgoMs + lockDuration,
      marginMs,
      renew: () => worker.extendJobLocks([jobId], [token], lockDuration),
      // Another worker will pick this job up as stalled: stop writing to its messages now.
      onLost: () => {
        this.log.warn({ jobId }, 'job lock lost; cancelling it here');
        worker.cancelJob(jobId, 'lock lost');
      },
    });
    worker.leases.set(token, lease);
    try {
      return await runWithJobLease(lease, () => processor(job, token, signal));
    } finally {
      worker.leases.delete(token);
    }
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
