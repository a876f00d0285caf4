import type { PacingOptions, Step } from './scenario.ts';

/** What the server does, in order; rendered once per request from the scenario. */
export type Action =
  | { kind: 'write'; data: string | Uint8Array }
  | { kind: 'wait'; ms: number }
  | { kind: 'flush-headers' }
  | { kind: 'destroy' };

export interface RenderedResponse {
  status: number;
  headers: Record<string, string>;
  actions: Action[];
}

export interface RenderContext {
  model: string;
  /** A rough prompt size, for the default usage numbers. */
  promptChars: number;
}

/** Splits text for pacing: by `chunkSize` code points, or word by word (never inside a character). */
export function splitText(value: string, pacing: PacingOptions): string[] {
  if (value === '') return [];
  if (pacing.chunkSize !== undefined && pacing.chunkSize > 0) {
    const points = Array.from(value);
    const pieces: string[] = [];
    for (let start = 0; start < points.length; start += pacing.chunkSize) pieces.push(points.slice(start, start + pacing.chunkSize).join(''));
    return pieces;
  }
  return value.match(/\s*\S+\s*/gu) ?? [value];
}

/** Splits a string into `count` roughly equal pieces (some may be empty for short strings). */
export function splitInto(value: string, count: number): string[] {
  const points = Array.from(value);
  const size = Math.max(1, Math.ceil(points.length / Math.max(1, count)));
  const pieces: string[] = [];
  for (let start = 0; start < points.length; start += size) pieces.push(points.slice(start, start + size).join(''));
  return pieces.length > 0 ? pieces : [''];
}

export function pacingWait(pacing: PacingOptions): number {
  return pacing.tokensPerSecond !== undefined && pacing.tokensPerSecond > 0 ? 1000 / pacing.tokensPerSecond : 0;
}

export function argumentsText(value: string | Record<string, unknown>): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

export function estimateTokens(chars: number): number {
  return Math.max(1, Math.round(chars / 4));
}

/** Steps that end the stream their own way; nothing is rendered after them. */
export function endsStream(step: Step): boolean {
  return step.type === 'disconnect' || step.type === 'end-early' || step.type === 'stream-error' || step.type === 'raw';
}

export const SSE_HEADERS: Record<string, string> = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
};

let generated = 0;
export function generatedId(prefix: string): string {
  generated += 1;
  return `${prefix}${generated.toString(36).padStart(6, '0')}`;
}

const ERROR_TYPES: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  422: 'invalid_request_error',
  429: 'rate_limit_error',
  500: 'api_error',
  502: 'api_error',
  503: 'api_error',
  529: 'overloaded_error',
};

const ERROR_MESSAGES: Record<number, string> = {
  400: 'Invalid request',
  401: 'Invalid API key',
  403: 'This key may not use this model',
  404: 'Model not found',
  429: 'Rate limit exceeded, please slow down',
  500: 'Internal server error',
  502: 'Bad gateway: upstream provider failed',
  503: 'Service unavailable',
  529: 'Overloaded',
};

export function defaultErrorType(status: number): string {
  return ERROR_TYPES[status] ?? (status >= 500 ? 'api_error' : 'invalid_request_error');
}

export function defaultErrorMessage(status: number): string {
  return ERROR_MESSAGES[status] ?? `HTTP ${status}`;
}

/** `{"error":{message,type,code}}` (Chat Completions) or `{"type":"error","error":{type,message}}` (Messages). */
export function errorBody(protocol: 'openai' | 'anthropic', details: { message: string; type: string; code?: string | number | undefined }): Record<string, unknown> {
  if (protocol === 'anthropic') return { type: 'error', error: { type: details.type, message: details.message } };
  return { error: { message: details.message, type: details.type, code: details.code ?? null } };
}

export function renderHttpError(protocol: 'openai' | 'anthropic', step: Extract<Step, { type: 'http-error' }>, baseHeaders: Record<string, string>): RenderedResponse {
  const body =
    step.body ??
    errorBody(protocol, {
      message: step.message ?? defaultErrorMessage(step.status),
      type: step.errorType ?? defaultErrorType(step.status),
      code: step.code,
    });
  const isText = typeof body === 'string';
  return {
    status: step.status,
    headers: { ...baseHeaders, 'content-type': isText ? 'text/plain; charset=utf-8' : 'application/json', ...step.headers },
    actions: [{ kind: 'write', data: isText ? body : JSON.stringify(body) }],
  };
}
