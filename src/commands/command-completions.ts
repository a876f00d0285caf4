import { rankByCloseness } from './closest-matches.ts';

/** Discord shows at most 25 suggestions. */
export const MAX_SUGGESTIONS = 25;

export type CompletionField = 'model' | 'image-model' | 'tool';

/** Suggestions for what someone is typing, closest first, as the commands themselves rank them. */
export function suggest(query: string, candidates: readonly string[], limit = MAX_SUGGESTIONS): string[] {
  if (query.trim() === '') return [...candidates].sort().slice(0, limit);
  return rankByCloseness(query.trim(), candidates).slice(0, limit);
}
