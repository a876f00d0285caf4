import { LlmError } from '../llm/errors.ts';

/**
 * A bounded label for a failure, for metrics and the answer's summary line: never the message
 * (it may hold ids or the gateway's words), only a short kind from the client's closed set.
 */

/**
 * `429`, `5xx`, `timeout-<phase>`, `cut-off`, `aborted`, or the client's own kind (`auth`,
 * `network`, `context-too-long`, …); `other` for anything that is not an upstream error.
 */
export function upstreamErrorKind(error: unknown): string {
  if (!(error instanceof LlmError)) return 'other';
  switch (error.kind) {
    case 'rate-limit':
      return '429';
    case 'overloaded':
    case 'server':
      return '5xx';
    case 'timeout':
      return `timeout-${error.phase}`;
    case 'stream-cut-off':
      return 'cut-off';
    case 'abort':
      return 'aborted';
    case 'auth':
    case 'bad-request':
    case 'context-too-long':
    case 'malformed-stream':
    case 'network':
    case 'refused':
    case 'unexpected':
      return error.kind;
  }
}
