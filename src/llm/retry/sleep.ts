import { setTimeout as delay } from 'node:timers/promises';

/** Waits `ms`, or rejects as soon as `signal` fires. */
export async function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) {
    signal?.throwIfAborted();
    return;
  }
  await delay(ms, undefined, { signal });
}
