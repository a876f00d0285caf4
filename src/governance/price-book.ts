import type { ModelInfo } from '../llm/types.ts';
import { GOVERNANCE_DEFAULTS } from './governance-config.ts';
import { usdToNano } from './money.ts';

/** What one answer (or one model round) used, as the model reported it. */
export interface TokenUsage {
  /** Every prompt token, cached ones included. */
  inputTokens: number;
  outputTokens: number;
  /** Of the prompt, read from the provider's cache. */
  cachedInputTokens: number;
  /** Of the prompt, written to the provider's cache. */
  cacheWriteTokens: number;
}

export const NO_USAGE: TokenUsage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 };

/** Nano-dollars per token (US dollars per million tokens × 1000). */
export interface ModelPrice {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

/** Nano-dollars per generated image and per image call, as the model list prices an image model. */
export interface ImagePrice {
  perImage: number;
  perRequest: number;
}

export interface PriceBookOptions {
  listModels(): Promise<ModelInfo[]>;
  /** @defaultValue GOVERNANCE_DEFAULTS.priceRefreshMs */
  refreshMs?: number;
  /** @defaultValue Date.now */
  now?: () => number;
  onError?(error: unknown): void;
}

/**
 * Prices from the gateway's model list, fetched once, reused for `refreshMs`, and kept when a
 * refresh fails (a stale price beats refusing everyone). Cached input falls back to the input
 * price when the list gives no cache rate.
 */
export class PriceBook {
  readonly #options: PriceBookOptions;
  #prices = new Map<string, ModelPrice>();
  #imagePrices = new Map<string, ImagePrice>();
  #fetchedAt: number | undefined;
  #pending: Promise<void> | undefined;

  constructor(options: PriceBookOptions) {
    this.#options = options;
  }

  /** The model's price, or undefined when the list does not price it. */
  async priceOf(model: string): Promise<ModelPrice | undefined> {
    await this.#refreshIfStale();
    return this.#prices.get(model);
  }

  /** The image model's price per image and per call, or undefined when the list prices neither. */
  async imagePriceOf(model: string): Promise<ImagePrice | undefined> {
    await this.#refreshIfStale();
    return this.#imagePrices.get(model);
  }

  /** Nano-dollars for this usage; 0 when the model is not priced. */
  async costOf(model: string, usage: TokenUsage): Promise<number> {
    const price = await this.priceOf(model);
    return price ? costWithPrice(price, usage) : 0;
  }

  async #refreshIfStale(): Promise<void> {
    const now = (this.#options.now ?? Date.now)();
    const refreshMs = this.#options.refreshMs ?? GOVERNANCE_DEFAULTS.priceRefreshMs;
    if (this.#fetchedAt !== undefined && now - this.#fetchedAt < refreshMs) return;
    this.#pending ??= this.#options
      .listModels()
      .then((models) => {
        const prices = new Map<string, ModelPrice>();
        const imagePrices = new Map<string, ImagePrice>();
        for (const model of models) {
          const pricing = model.pricing;
          if (!pricing) continue;
          if (pricing.perImage !== undefined || pricing.perRequest !== undefined) {
            imagePrices.set(model.id, { perImage: usdToNano(pricing.perImage ?? 0), perRequest: usdToNano(pricing.perRequest ?? 0) });
          }
          const input = (pricing.inputPerMillion ?? 0) * 1000;
          prices.set(model.id, {
            input,
            output: (pricing.outputPerMillion ?? 0) * 1000,
            cacheRead: pricing.cacheReadPerMillion === undefined ? input : pricing.cacheReadPerMillion * 1000,
            cacheWrite: pricing.cacheWritePerMillion === undefined ? input : pricing.cacheWritePerMillion * 1000,
          });
        }
        this.#prices = prices;
        this.#imagePrices = imagePrices;
        this.#fetchedAt = now;
      })
      .catch((error: unknown) => {
        this.#options.onError?.(error);
        // Try again on the next request, not on every one: a minute of the old prices.
        if (this.#fetchedAt !== undefined) this.#fetchedAt = now - refreshMs + 60_000;
      })
      .finally(() => {
        this.#pending = undefined;
      });
    await this.#pending;
  }
}

/** Uncached prompt, cached prompt, cache writes and output, each at its own rate, in nano-dollars. */
export function costWithPrice(price: ModelPrice, usage: TokenUsage): number {
  const uncached = Math.max(0, usage.inputTokens - usage.cachedInputTokens - usage.cacheWriteTokens);
  return Math.round(uncached * price.input + usage.cachedInputTokens * price.cacheRead + usage.cacheWriteTokens * price.cacheWrite + usage.outputTokens * price.output);
}

export function addUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    cachedInputTokens: a.cachedInputTokens + b.cachedInputTokens,
    cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  };
}

export function subtractUsage(a: TokenUsage, b: TokenUsage): TokenUsage {
  return {
    inputTokens: a.inputTokens - b.inputTokens,
    outputTokens: a.outputTokens - b.outputTokens,
    cachedInputTokens: a.cachedInputTokens - b.cachedInputTokens,
    cacheWriteTokens: a.cacheWriteTokens - b.cacheWriteTokens,
  };
}
