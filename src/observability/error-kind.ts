/**
 * A bounded label for a failure, for metrics and the answer's summary line: never the message
 * (it may hold ids or the gateway's words), only a short kind from a closed set of shapes.
 */

const TIMEOUT_PHASES = new Set(['connect', 'first-byte', 'idle', 'deadline']);
/** Error kinds that may come straight from an error's own `kind` (the client's one-error-type shape). */
const KIND_ALIASES: Record<string, string> = {
  'rate-limit': '429',
  'rate-limited': '429',
  overloaded: '5xx',
  server: '5xx',
  'server-error': '5xx',
  'stream-cut-off': 'cut-off',
  'cut-off': 'cut-off',
};
const LABEL_SHAPE = /^[a-z0-9][a-z0-9-]{0,31}$/;

/**
 * `429`, `5xx`, `timeout-<phase>`, `cut-off`, or a short kebab-case kind (`auth`, `network`,
 * `context-too-long`, …); `other` for anything that is not an upstream error.
 */
export function upstreamErrorKind(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'other';
  const { kind, name, status, phase } = error as { kind?: unknown; name?: unknown; status?: unknown; phase?: unknown };
  if (typeof phase === 'string' && TIMEOUT_PHASES.has(phase)) return `timeout-${phase}`;
  if (typeof kind === 'string') {
    const alias = KIND_ALIASES[kind];
    if (alias) return alias;
    if (kind === 'timeout') return 'timeout';
  }
  if (status === 429 || name === 'LlmRateLimitError') return '429';
  if (name === 'LlmStreamCutOffError') return 'cut-off';
  if (name === 'LlmOverloadedError' || name === 'LlmServerError' || (typeof status === 'number' && status >= 500)) return '5xx';
  if (name === 'AbortError' || name === 'LlmAbortError') return 'aborted';
  if (typeof kind === 'string' && LABEL_SHAPE.test(kind)) return kind;
  // `LlmContextTooLongError` → `context-too-long`: the client's error classes are a closed set.
  if (typeof name === 'string' && /^Llm[A-Za-z]+Error$/.test(name) && name !== 'LlmError') {
    return name
      .slice(3, -5)
      .replace(/([a-z])([A-Z])/g, '$1-$2')
      .toLowerCase();
  }
  return 'other';
}
