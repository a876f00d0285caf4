import { createHash } from 'node:crypto';

/** Longest server part of a namespaced name, so the tool's own name keeps most of the 64. */
const MAX_SERVER_PART = 24;

/** Replaces what both LLM protocols reject in a tool name (`^[a-zA-Z0-9_-]{1,64}$`). */
export function sanitizeNamePart(raw: string): string {
  const cleaned = raw.replace(/[^a-zA-Z0-9_-]/g, '_');
  return cleaned.length > 0 ? cleaned : '_';
}

/**
 * `server__tool`, sanitized and at most 64 characters. A name that had to be shortened gets a
 * short hash of the original, so two long names never collapse into one.
 */
export function namespacedToolName(server: string, tool: string): string {
  const serverPart = sanitizeNamePart(server).slice(0, MAX_SERVER_PART);
  const full = `${serverPart}__${sanitizeNamePart(tool)}`;
  if (full.length <= 64) return full;
  const hash = createHash('sha256').update(`${server}\u0000${tool}`).digest('hex').slice(0, 6);
  return `${full.slice(0, 64 - hash.length - 1)}_${hash}`;
}
