import type { ModelInfo } from '../llm/types.ts';

/** `ids` sorted and unique; `models` as listed (what they output, their prices). */
export type ModelList = { ok: true; ids: string[]; models: ModelInfo[] } | { ok: false; error: string };

/**
 * The gateway's model list, cached, and tolerant: when listing fails the last good list is used,
 * and without one the caller falls back to a form check.
 */
export function cachedModelList(listModels: () => Promise<ModelInfo[]>, cacheMs: number, now: () => number): () => Promise<ModelList> {
  let cached: { ids: string[]; models: ModelInfo[]; at: number } | undefined;
  return async () => {
    if (cached && now() - cached.at < cacheMs) return { ok: true, ids: cached.ids, models: cached.models };
    try {
      const models = await listModels();
      const ids = [...new Set(models.map((model) => model.id))].sort();
      if (ids.length === 0) throw new Error('the list was empty');
      cached = { ids, models, at: now() };
      return { ok: true, ids, models };
    } catch (error) {
      if (cached) return { ok: true, ids: cached.ids, models: cached.models };
      return { ok: false, error: error instanceof Error ? error.message : String(error) };
    }
  };
}

/** provider/name, as OfoxAI names models. */
export const MODEL_FORM = /^[a-z0-9][a-z0-9._-]*\/[A-Za-z0-9][\w.:@-]*$/i;
