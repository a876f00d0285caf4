import { systemClock, type Clock } from './clock.ts';
import type { PermitRequest, WritePacer } from './write-budget.ts';

/**
 * Asks the pacer for `request` until it grants, sleeping what it says between asks (first sleeping
 * `wait`, an answer already had). For a request already on its way out of a platform client, so
 * there is no deadline: the pacer's waits are bounded, and the client's own timeout still applies.
 * Pacers promise never to reject; if one does, the request goes rather than never.
 */
export async function untilGranted(pacer: WritePacer, request: PermitRequest, clock: Clock = systemClock, wait?: number): Promise<void> {
  for (let next = wait ?? (await pacer.acquire(request).catch(() => 0)); next > 0; next = await pacer.acquire(request).catch(() => 0)) {
    await new Promise<void>((resolve) => clock.setTimeout(resolve, next));
  }
}
