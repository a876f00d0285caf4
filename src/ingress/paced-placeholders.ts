import type { WriteBudget, WritePacer } from '../render/write-budget.ts';
import type { Inbound } from './inbound.ts';
import type { PlaceholderPacer } from './placeholder-pacer.ts';

/** What posting a placeholder would spend, and how much of it must stay free for answers' first texts. */
export interface PlaceholderRequest {
  budgets: readonly WriteBudget[];
  /** Tokens each budget must keep after the placeholder (one number for all, or one per budget). */
  spare?: number | readonly number[];
}

/**
 * Placeholders drawn from the same write budgets as every answer's writes: one is posted only when
 * the platform has room to spare and nobody waits (`WritePacer.tryReserveNow`, never blocking), so a
 * placeholder never delays an answer's first text. A platform that names no budgets is not paced.
 */
export function pacedPlaceholders(pacer: Pick<WritePacer, 'tryReserveNow'>, requestFor: (inbound: Inbound) => PlaceholderRequest | undefined): PlaceholderPacer {
  return {
    async mayPostNow(inbound) {
      const request = requestFor(inbound);
      if (!request || request.budgets.length === 0) return true;
      return pacer.tryReserveNow(request.budgets, request.spare === undefined ? undefined : { spare: request.spare });
    },
  };
}
