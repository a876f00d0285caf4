import type { Cluster, Redis } from 'ioredis';

/** @defaultValue an hour: long enough for any answer to notice it was stopped. */
const CANCEL_TTL_SECONDS = 3_600;

function channel(prefix: string): string {
  return `${prefix}:cancel`;
}

function flagKey(prefix: string, jobId: string): string {
  return `${prefix}:cancel:${jobId}`;
}

/**
 * Publishes a stop request. BullMQ's own cancelJob only reaches the local process; this reaches
 * whichever worker process runs the job, and the flag covers a job that has not started yet.
 */
export async function requestCancel(redis: Redis | Cluster, prefix: string, jobId: string): Promise<void> {
  await redis.set(flagKey(prefix, jobId), '1', 'EX', CANCEL_TTL_SECONDS);
  await redis.publish(channel(prefix), jobId);
}

/** One subscription per worker process, fanning stop requests out to the jobs it runs. */
export class CancelListener {
  private readonly controllers = new Map<string, AbortController>();
  private readonly subscriber: Redis | Cluster;
  private readonly client: Redis | Cluster;
  private readonly prefix: string;
  private ready: Promise<unknown> | undefined;

  constructor(options: { subscriber: Redis | Cluster; client: Redis | Cluster; prefix: string }) {
    this.subscriber = options.subscriber;
    this.client = options.client;
    this.prefix = options.prefix;
  }

  start(): Promise<unknown> {
    this.ready ??= this.subscriber.subscribe(channel(this.prefix)).then(
      () => {
        this.subscriber.on('message', (_channel: string, jobId: string) => {
          this.controllers.get(jobId)?.abort(new Error('stopped by user'));
        });
        // Messages published while the connection was down are gone; the flags are not.
        this.subscriber.on('ready', () => void this.recheckFlags());
      },
      (error: unknown) => {
        this.ready = undefined;
        throw error;
      },
    );
    return this.ready;
  }

  private async recheckFlags(): Promise<void> {
    for (const [jobId, controller] of this.controllers) {
      if (controller.signal.aborted) continue;
      const flagged = await this.client.exists(flagKey(this.prefix, jobId)).catch(() => 0);
      if (flagged === 1) controller.abort(new Error('stopped by user'));
    }
  }

  /** Returns a signal that fires when someone stops this job, including before it started. */
  async watch(jobId: string): Promise<{ signal: AbortSignal; release(): void }> {
    await this.start();
    const controller = new AbortController();
    this.controllers.set(jobId, controller);
    if ((await this.client.exists(flagKey(this.prefix, jobId))) === 1) controller.abort(new Error('stopped by user'));
    return {
      signal: controller.signal,
      release: () => {
        if (this.controllers.get(jobId) === controller) this.controllers.delete(jobId);
      },
    };
  }

  async close(): Promise<void> {
    for (const controller of this.controllers.values()) controller.abort(new Error('shutting down'));
    this.controllers.clear();
    this.subscriber.disconnect();
  }
}
