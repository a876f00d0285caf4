import type { ModelInfo } from './types.ts';

export interface ReasoningModelsOptions {
  listModels(): Promise<ModelInfo[]>;
  /** How long one model list is trusted. @defaultValue 5 minutes */
  refreshMs?: number;
  /** @defaultValue Date.now */
  now?: () => number;
  onError?(error: unknown): void;
}

/**
 * Which models can stream their reasoning, from the gateway's model list (`ModelInfo.reasoning`),
 * fetched once and reused for `refreshMs`. A list that cannot be read means "no": the request is
 * then the one every model takes, and the answer still comes, only without its reasoning shown.
 */
export class ReasoningModels {
  readonly #options: ReasoningModelsOptions;
  #reasoning = new Set<string>();
  #fetchedAt: number | undefined;
  #pending: Promise<void> | undefined;

  constructor(options: ReasoningModelsOptions) {
    this.#options = options;
  }

  async supports(model: string): Promise<boolean> {
    const now = (this.#options.now ?? Date.now)();
    const refreshMs = this.#options.refreshMs ?? 300_000;
    if (this.#fetchedAt === undefined || now - this.#fetchedAt >= refreshMs) {
      this.#pending ??= this.#options
        .listModels()
        .then((models) => {
          this.#reasoning = new Set(models.filter((info) => info.reasoning === true).map((info) => info.id));
          this.#fetchedAt = now;
        })
        .catch((error: unknown) => {
          this.#options.onError?.(error);
          // Asked again after a minute, not on every answer; the last good list stays meanwhile.
          this.#fetchedAt = now - refreshMs + 60_000;
        })
        .finally(() => {
          this.#pending = undefined;
        });
      await this.#pending;
    }
    return this.#reasoning.has(model);
  }
}
