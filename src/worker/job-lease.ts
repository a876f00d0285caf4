import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * A worker's hold on one job, as this process knows it: the job's lock in Redis lives at least
 * until `expiresAt` (measured from when the lock was last set or renewed *sent*, so the estimate
 * never runs past the real expiry). Every platform write of the answer asks {@link JobLease.ensureHeld}
 * first, so a worker whose lock may have lapsed (it missed renewals while its event loop was
 * busy, or Redis was away) writes nothing until a renewal confirms the lock, and a worker whose
 * lock is gone writes nothing ever again: the worker that took the job over is the only writer.
 */

/** The lock is gone: another worker may own the job now. */
export class JobLeaseLostError extends Error {
  override name = 'JobLeaseLostError';
}

/** The lock could not be confirmed in time (Redis slow or away); the write is held back and retried later. */
export class JobLeaseUnconfirmedError extends Error {
  override name = 'JobLeaseUnconfirmedError';
}

export type RenewOutcome = 'renewed' | 'lost';

export interface JobLeaseOptions {
  jobId: string;
  /** `performance.now()` time until which the lock surely lives. */
  expiresAt: number;
  /**
   * A write must start at least this long before the lock's expiry, so it lands before another
   * worker could take the job over (which needs the expiry, a stalled check and a first token).
   */
  marginMs: number;
  /** Renews the lock now; resolves once Redis answered (the lease is updated through `renewed`/`lost`). */
  renew: () => Promise<unknown>;
  /** Called once when the lock turns out to be gone (cancel the local run). */
  onLost: () => void;
  /** @defaultValue performance.now */
  now?: () => number;
}

export class JobLease {
  readonly jobId: string;
  private expiresAt: number;
  private gone = false;
  private renewing: Promise<unknown> | undefined;
  private readonly options: JobLeaseOptions;
  private readonly now: () => number;

  constructor(options: JobLeaseOptions) {
    this.options = options;
    this.jobId = options.jobId;
    this.expiresAt = options.expiresAt;
    this.now = options.now ?? (() => performance.now());
  }

  get lost(): boolean {
    return this.gone;
  }

  /** A renewal sent at `sentAt` succeeded: the lock lives at least `lockDurationMs` past it. */
  renewed(sentAt: number, lockDurationMs: number): void {
    if (!this.gone) this.expiresAt = Math.max(this.expiresAt, sentAt + lockDurationMs);
  }

  /** Redis said the lock is not ours any more. */
  markLost(): void {
    if (this.gone) return;
    this.gone = true;
    this.options.onLost();
  }

  /**
   * Resolves when a write may start now; throws {@link JobLeaseLostError} when the lock is gone
   * and {@link JobLeaseUnconfirmedError} when it could not be confirmed within the margin.
   */
  async ensureHeld(): Promise<void> {
    if (this.gone) throw new JobLeaseLostError(`job ${this.jobId}: the lock is gone; another worker owns this answer`);
    if (this.fresh()) return;
    // Near or past the estimated expiry: ask Redis (one renewal shared by concurrent writers).
    this.renewing ??= this.options.renew().finally(() => {
      this.renewing = undefined;
    });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, this.options.marginMs);
    });
    await Promise.race([this.renewing.catch(() => {}), timedOut]);
    clearTimeout(timer);
    if (this.gone) throw new JobLeaseLostError(`job ${this.jobId}: the lock is gone; another worker owns this answer`);
    if (!this.fresh()) throw new JobLeaseUnconfirmedError(`job ${this.jobId}: the lock could not be confirmed; holding the write back`);
  }

  private fresh(): boolean {
    return this.now() < this.expiresAt - this.options.marginMs;
  }
}

const current = new AsyncLocalStorage<JobLease>();

/** Runs a job's processing with its lease reachable from everything it calls (see {@link currentJobLease}). */
export function runWithJobLease<T>(lease: JobLease, run: () => T): T {
  return current.run(lease, run);
}

/** The lease of the job whose processing the caller is part of, if any. */
export function currentJobLease(): JobLease | undefined {
  return current.getStore();
}
