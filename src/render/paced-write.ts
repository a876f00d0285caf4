import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from './clock.ts';
import { sendWithGrant, type GrantedWrite } from './grant-scope.ts';
import { SurfaceRateLimitedError } from './surface.ts';
import type { WriteBudget, WriteClass, WritePacer } from './write-budget.ts';

/**
 * One platform write outside the answer renderer (an approval prompt and its outcome, a file, an
 * ingress notice), drawn from the same WritePacer budgets as the renderer's writes. On Discord an
 * approval prompt posted beside an answer that streams in the same channel would otherwise spend a
 * token of the channel's 5 per 5 s that the renderer counted on, and push the channel into a 429.
 *
 * Hand-written rather than a generic retry library: the wait comes from the shared pacer (its
 * priority line, its hold-offs), not from a backoff formula, and a 429 must feed back into it.
 *
 * Waits are bounded: a write that gets no permit within `maxWaitMs`, or is still refused after
 * `rateLimitRetries` 429s, fails with a {@link PacedWriteError} whose message a person can read.
 */

/** How long a write waits, in all, for the platform's limits to leave it room. @defaultValue 30 s */
export const PACED_WRITE_MAX_WAIT_MS = 30_000;
/** 429s a write tolerates before it fails (each one holds its budgets off first). @defaultValue 3 */
export const PACED_WRITE_RATE_LIMIT_RETRIES = 3;

export interface PacedWriteRequest {
  /** The process's shared pacer; undefined (a process that paces nothing): the write goes at once, 429s are still waited out. */
  pacer: WritePacer | undefined;
  /** The platform budgets the write draws one token from, the channel's first (see `PermitRequest`). */
  budgets: readonly WriteBudget[];
  writeClass: WriteClass;
  /** Names the write in the failure, e.g. `the approval prompt`. */
  what: string;
  /** @defaultValue {@link PACED_WRITE_MAX_WAIT_MS} */
  maxWaitMs?: number;
  /** @defaultValue {@link PACED_WRITE_RATE_LIMIT_RETRIES} */
  rateLimitRetries?: number;
  /**
   * The budgets a 429 says are empty, when they are not among `budgets` (Discord's bot-wide limit).
   * @defaultValue those of `budgets` named by the error's `budgetKeys`, or all of them
   */
  refusedBudgets?: (error: SurfaceRateLimitedError) => readonly WriteBudget[] | undefined;
  /** Stops waiting (the answer was stopped). @defaultValue none */
  signal?: AbortSignal;
  /** @defaultValue systemClock */
  clock?: Clock;
}

/** A paced write that could not be made within its bounds; the message says which and why. */
export class PacedWriteError extends Error {
  override name = 'PacedWriteError';
}

export async function pacedWrite<T>(request: PacedWriteRequest, call: () => Promise<T>): Promise<T> {
  const clock = request.clock ?? systemClock;
  const maxWaitMs = request.maxWaitMs ?? PACED_WRITE_MAX_WAIT_MS;
  const retries = request.rateLimitRetries ?? PACED_WRITE_RATE_LIMIT_RETRIES;
  const deadline = clock.now() + maxWaitMs;
  // One ticket for every ask: after a 429 the write keeps its place in the channel's line.
  const ticket = randomUUID();
  for (let refusals = 0; ; ) {
    const grant = await waitForPermit(request, ticket, deadline, maxWaitMs, clock);
    try {
      // The platform client tells the pacer when the request really leaves (`grant-scope.ts`).
      return await sendWithGrant(grant, call);
    } catch (error) {
      if (!(error instanceof SurfaceRateLimitedError)) throw error;
      refusals += 1;
      const retryAfterMs = Math.max(0, error.retryAfterMs);
      await request.pacer?.holdOff(refusedBudgets(request, error), retryAfterMs).catch(() => {});
      if (refusals > retries) throw new PacedWriteError(`${request.what} could not be sent: the platform still said "too many requests" after ${retries} retries`, { cause: error });
      // Without a pacer nothing holds the budgets off, so the wait is here.
      if (!request.pacer) {
        if (clock.now() + retryAfterMs > deadline) throw waitedTooLong(request.what, maxWaitMs, error);
        await sleep(retryAfterMs, clock, request.signal);
      }
    }
  }
}

function refusedBudgets(request: PacedWriteRequest, error: SurfaceRateLimitedError): readonly WriteBudget[] {
  const named = request.refusedBudgets?.(error);
  return named && named.length > 0 ? named : error.refusedOf(request.budgets);
}

/** The grant, once the pacer gives one; undefined when nothing paces the write. */
async function waitForPermit(request: PacedWriteRequest, ticket: string, deadline: number, maxWaitMs: number, clock: Clock): Promise<GrantedWrite | undefined> {
  const { pacer, budgets, writeClass } = request;
  if (!pacer || budgets.length === 0) return undefined;
  const permit = { budgets, writeClass, ticket };
  for (;;) {
    request.signal?.throwIfAborted();
    // Pacers promise never to reject; if one does, the write goes unpaced rather than never.
    const wait = await pacer.acquire(permit).catch(() => 0);
    if (wait <= 0) return { pacer, request: permit, grantedAt: clock.now(), clock };
    const left = deadline - clock.now();
    if (left <= 0) {
      await pacer.withdraw(ticket, budgets).catch(() => {});
      throw waitedTooLong(request.what, maxWaitMs);
    }
    try {
      await sleep(Math.min(wait, left), clock, request.signal);
    } catch (error) {
      await pacer.withdraw(ticket, budgets).catch(() => {});
      throw error;
    }
  }
}

function waitedTooLong(what: string, maxWaitMs: number, cause?: unknown): PacedWriteError {
  return new PacedWriteError(`${what} could not be sent: the platform's rate limits left no room for ${Math.round(maxWaitMs / 1000)} s`, cause ? { cause } : undefined);
}

function sleep(ms: number, clock: Clock, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = (): void => {
      clock.clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = clock.setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * A write worth making only while the platform has room (an acknowledgment such as an assistant's
 * "is thinking…" status, a thread title): made at once when the pacer grants it a token now
 * (`tryReserveNow`), else left out, never waited for, so it cannot delay the request it
 * acknowledges. Resolves whether it was made; the call's own failure propagates.
 */
export async function writeIfRoom(
  request: { pacer: WritePacer | undefined; budgets: readonly WriteBudget[]; spare?: number | readonly number[] },
  call: () => Promise<unknown>,
): Promise<boolean> {
  const { pacer, budgets } = request;
  if (pacer && budgets.length > 0 && !(await pacer.tryReserveNow(budgets, { spare: request.spare ?? 0 }).catch(() => true))) return false;
  await call();
  return true;
}
