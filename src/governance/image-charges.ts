import type { Logger } from '../observability/logger.ts';
import type { ImageHold, ImageSpending } from '../tools/builtins/image.ts';
import type { UsageRecord } from '../usage/types.ts';
import type { BudgetLedger, Hold } from './budget-ledger.ts';
import type { BudgetLimits } from './budget-limits.ts';
import { budgetStopText } from './budget-wording.ts';
import { ledgerScopes } from './ledger-scopes.ts';
import { usdToNano } from './money.ts';
import type { ImagePrice, PriceBook } from './price-book.ts';

export interface ImageChargesDeps {
  ledger: BudgetLedger;
  limits: BudgetLimits;
  prices: PriceBook;
  /** Where each image call is recorded, so `usage` shows it. @defaultValue not recorded */
  usage?: { record(record: UsageRecord): Promise<void> };
  /** `governance.imagePriceUsd`: the price per image when the model list gives none. @defaultValue images the list does not price cost nothing */
  defaultImageUsd?: number;
  log: Logger;
  /** @defaultValue Date.now */
  now?: () => number;
}

/**
 * Images on the same budgets as answers (user, channel, workspace × day, month). Before the images
 * endpoint is called, the call's cost is reserved atomically (the Lua reserve answers use), so a
 * spent budget refuses the image before anything is paid; once the images exist the reservation
 * becomes their real cost and the call is recorded in usage. An image model the list does not
 * price costs `defaultImageUsd`, else nothing — as the price book does for tokens of an unpriced
 * model — and that is logged once per model.
 */
export function createImageCharges(deps: ImageChargesDeps): ImageSpending {
  const now = deps.now ?? Date.now;
  const warned = new Set<string>();
  const priceFor = async (model: string): Promise<ImagePrice> => {
    const listed = await deps.prices.imagePriceOf(model);
    if (listed) return listed;
    if (!warned.has(model)) {
      warned.add(model);
      deps.log.warn({ model, defaultImageUsd: deps.defaultImageUsd ?? 0 }, 'the model list gives no per-image price for this image model; charging the configured default');
    }
    return { perImage: usdToNano(deps.defaultImageUsd ?? 0), perRequest: 0 };
  };
  const costOf = (price: ImagePrice, count: number): number => price.perRequest + price.perImage * count;

  return {
    async reserve({ scope, model, count }) {
      const [limits, price] = await Promise.all([deps.limits.resolve(scope), priceFor(model)]);
      const lines = deps.ledger.lines(ledgerScopes(scope, limits), now());
      const reserved = await deps.ledger.reserve(lines, costOf(price, count), 0);
      if (!reserved.ok) {
        deps.log.info({ model, scope: reserved.shortfall.line.kind, period: reserved.shortfall.line.period }, 'image refused at its budget');
        return { ok: false, reason: budgetStopText(reserved.shortfall, now()) };
      }
      return { ok: true, hold: imageHold(deps, reserved.hold, { ...scope, model }, (made) => costOf(price, made)) };
    },
  };
}

function imageHold(deps: ImageChargesDeps, hold: Hold, call: { platform: string; workspaceId: string; channelId: string; userId: string; model: string }, costOf: (made: number) => number): ImageHold {
  let done = false;
  return {
    async settle(count) {
      if (done) return 0;
      done = true;
      const costNanoUsd = count > 0 ? costOf(count) : 0;
      try {
        await deps.ledger.settle(hold, costNanoUsd, 0);
        await deps.usage?.record({ ...call, requests: 0, images: count, inputTokens: 0, outputTokens: 0, costNanoUsd });
        return costNanoUsd;
      } catch (error) {
        // The image exists and is on its way to the chat; a missed charge is logged, not shown.
        deps.log.warn({ err: error, model: call.model }, 'image not charged to the budget');
        return 0;
      }
    },
    async release() {
      if (done) return;
      done = true;
      await deps.ledger.settle(hold, 0, 0).catch((error: unknown) => deps.log.warn({ err: error }, 'image budget reservation not released'));
    },
  };
}
