import { randomUUID } from 'node:crypto';
import { systemClock, type Clock } from './clock.ts';
import { SurfaceRateLimitedError } from './surface.ts';
import type { WriteBudget, WriteClass, WritePacer } from './write-budget.ts';

export interface PacedWriteOptions {
  /** @defaultValue 'final': a one-off write (an approval prompt, a button removal) is complete as written. */
  writeClass?: WriteClass;
  /** 429s tolerated before the write gives up and rethrows. @defaultValue 5 */
  rateLimitRetries?: number;
  /** @defaultValue systemClock */
  clock?: Clock;
}

/**
 * One write outside an answer's `ProgressiveMessage` (an approval prompt, removing its buttons)
 * through the same pacer: it waits its turn in the budgets' line, and a 429 holds the budgets off
 * and tries again after the platform's retry-after, so it never jumps the queue of answers.
 */
export async function pacedWrite<T>(pacer: WritePacer, budgets: readonly WriteBudget[], write: () => Promise<T>, options: PacedWriteOptions = {}): Promise<T> {
  const clock = options.clock ?? systemClock;
  const ticket = randomUUID();
  const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, Math.max(1, Math.ceil(ms))));
  for (let limited = 0; ; ) {
    for (let wait = await pacer.acquire({ budgets, writeClass: options.writeClass ?? 'final', ticket }); wait > 0; ) {
      await sleep(wait);
      wait = await pacer.acquire({ budgets, writeClass: options.writeClass ?? 'final', ticket });
    }
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof SurfaceRateLimitedError) || ++limited > (options.rateLimitRetries ?? 5)) throw error;
      const refused = error.budgetKeys ? budgets.filter((budget) => error.budgetKeys?.includes(budget.key)) : budgets;
      await pacer.holdOff(refused.length > 0 ? refused : budgets, error.retryAfterMs);
    }
  }
}
