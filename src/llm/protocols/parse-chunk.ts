import { LlmError } from '../errors.ts';
import { scrubSecret } from '../scrub-secret.ts';

/** Parses one SSE data payload; anything but a JSON object is a malformed stream. */
export function parseChunk(data: string, secrets: readonly string[]): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(data);
  } catch (error) {
    throw new LlmError(`OfoxAI sent an unparseable stream chunk: ${snippet(data, secrets)}`, { kind: 'malformed-stream' }, { cause: error });
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new LlmError(`OfoxAI sent a stream chunk that is not an object: ${snippet(data, secrets)}`, { kind: 'malformed-stream' });
  }
  return value as Record<string, unknown>;
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function asNumber(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
}

function snippet(data: string, secrets: readonly string[]): string {
  const text = scrubSecret(data, secrets).replace(/\s+/g, ' ');
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}
