/** Orders candidates by how close they are to what someone typed: exact tail, prefix, substring, then edit distance. */
export function rankByCloseness(query: string, candidates: readonly string[]): string[] {
  const wanted = query.toLowerCase();
  const scored = candidates.map((candidate) => ({ candidate, score: closeness(wanted, candidate.toLowerCase()) }));
  scored.sort((a, b) => a.score - b.score || a.candidate.localeCompare(b.candidate));
  return scored.map((entry) => entry.candidate);
}

function closeness(query: string, candidate: string): number {
  const tail = candidate.slice(candidate.lastIndexOf('/') + 1);
  if (candidate === query || tail === query) return 0;
  if (tail.startsWith(query) || candidate.startsWith(query)) return 1;
  if (candidate.includes(query)) return 2;
  return 3 + Math.min(editDistance(query, candidate), editDistance(query, tail));
}

/** Levenshtein distance, two rows at a time. */
export function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, index) => index);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current[j] = Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, (previous[j - 1] ?? 0) + cost);
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** "`a`, `b`, `c` and 12 more", closest first when the list is long. */
export function describeChoices(query: string, candidates: readonly string[], shown = 12): string {
  if (candidates.length === 0) return '(none)';
  const ordered = candidates.length > shown ? rankByCloseness(query, candidates) : [...candidates];
  const listed = ordered.slice(0, shown).map((name) => `\`${name}\``).join(', ');
  const rest = ordered.length - shown;
  return rest > 0 ? `${listed} and ${rest} more` : listed;
}
