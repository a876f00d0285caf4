/**
 * What the fake OfoxAI should do for one request: a list of steps, rendered into whichever wire
 * format (Chat Completions or Messages) the request came in. Unless a step ends the stream
 * otherwise, the fake closes it properly: usage, finish reason and `[DONE]` / `message_stop`.
 */

export type FakeFinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error';

export interface FakeToolCall {
  /** @defaultValue a generated `call_…` / `toolu_…` id */
  id?: string;
  name: string;
  /** An object is JSON-encoded; a string is sent as is (so it may be invalid JSON on purpose). */
  arguments: string | Record<string, unknown>;
}

export interface PacingOptions {
  /** Characters per chunk. @defaultValue one word per chunk */
  chunkSize?: number;
  /** Chunks per second; unset sends every chunk at once. */
  tokensPerSecond?: number;
}

export type Step =
  | ({ type: 'text'; text: string } & PacingOptions)
  | ({ type: 'reasoning'; text: string } & PacingOptions)
  | {
      type: 'tool-calls';
      calls: FakeToolCall[];
      /** Fragments each call's arguments are split into. @defaultValue 3 */
      argumentChunks?: number;
      /** OpenAI `index` of the first call (gateways sometimes start at 1). @defaultValue 0, or after the previous step's calls */
      startIndex?: number;
      /** OpenAI only: round-robin the calls' fragments instead of one call after another. @defaultValue true */
      interleave?: boolean;
    }
  | { type: 'usage'; inputTokens: number; outputTokens: number }
  /** Our vocabulary, or a raw wire value (`"eos"`); `null` sends no finish reason at all. */
  | { type: 'finish'; reason: FakeFinishReason | (string & {}) | null }
  | { type: 'keep-alive'; count?: number }
  /** Sends nothing for `ms`: before any byte it is a slow first byte, later a stall. */
  | { type: 'wait'; ms: number }
  /** Sends the response headers now, before any body byte. */
  | { type: 'flush-headers' }
  /** Destroys the socket: no `[DONE]` / `message_stop`. */
  | { type: 'disconnect' }
  /** Ends the response cleanly but without `[DONE]` / `message_stop`. */
  | { type: 'end-early' }
  | {
      type: 'http-error';
      status: number;
      /** Overrides the gateway-format body built from `message` / `errorType` / `code`. */
      body?: string | Record<string, unknown>;
      headers?: Record<string, string>;
      message?: string;
      errorType?: string;
      code?: string | number;
    }
  /** A data line that is not JSON. @defaultValue a truncated chunk */
  | { type: 'malformed'; data?: string }
  /** An error object in the middle of the stream, then the end of the response. */
  | { type: 'stream-error'; errorType?: string; message?: string; code?: string | number }
  /** Bytes exactly as given (a recorded fixture); the fake adds nothing after them. */
  | { type: 'raw'; data: string | Uint8Array; chunkSize?: number; delayMs?: number };

export type Scenario = readonly Step[] | { steps: readonly Step[]; headers?: Record<string, string> };

export const text = (value: string, pacing: PacingOptions = {}): Step => ({ type: 'text', text: value, ...pacing });
export const reasoning = (value: string, pacing: PacingOptions = {}): Step => ({ type: 'reasoning', text: value, ...pacing });
export const toolCall = (name: string, args: FakeToolCall['arguments'], options: { id?: string; argumentChunks?: number; startIndex?: number } = {}): Step => ({
  type: 'tool-calls',
  calls: [{ name, arguments: args, ...(options.id === undefined ? {} : { id: options.id }) }],
  ...(options.argumentChunks === undefined ? {} : { argumentChunks: options.argumentChunks }),
  ...(options.startIndex === undefined ? {} : { startIndex: options.startIndex }),
});
export const toolCalls = (calls: FakeToolCall[], options: { argumentChunks?: number; startIndex?: number; interleave?: boolean } = {}): Step => ({
  type: 'tool-calls',
  calls,
  ...options,
});
export const usage = (inputTokens: number, outputTokens: number): Step => ({ type: 'usage', inputTokens, outputTokens });
export const finish = (reason: FakeFinishReason | (string & {}) | null = 'stop'): Step => ({ type: 'finish', reason });
export const keepAlive = (count = 1): Step => ({ type: 'keep-alive', count });
export const wait = (ms: number): Step => ({ type: 'wait', ms });
export const slowFirstByte = wait;
export const stall = wait;
export const flushHeaders = (): Step => ({ type: 'flush-headers' });
export const disconnect = (): Step => ({ type: 'disconnect' });
export const endEarly = (): Step => ({ type: 'end-early' });
export const malformedChunk = (data?: string): Step => (data === undefined ? { type: 'malformed' } : { type: 'malformed', data });
export const streamError = (options: { errorType?: string; message?: string; code?: string | number } = {}): Step => ({ type: 'stream-error', ...options });
export const raw = (data: string | Uint8Array, options: { chunkSize?: number; delayMs?: number } = {}): Step => ({ type: 'raw', data, ...options });
export const httpError = (
  status: number,
  options: { message?: string; errorType?: string; code?: string | number; headers?: Record<string, string>; body?: string | Record<string, unknown> } = {},
): Step => ({ type: 'http-error', status, ...options });
export const rateLimited = (retryAfterSeconds?: number, headers: Record<string, string> = {}): Step =>
  httpError(429, { headers: { ...(retryAfterSeconds === undefined ? {} : { 'retry-after': String(retryAfterSeconds) }), ...headers } });
export const overloaded = (): Step => httpError(529);
export const serverError = (status = 500): Step => httpError(status);
export const badKey = (): Step => httpError(401);
export const contextTooLong = (): Step =>
  httpError(400, {
    message: "This model's maximum context length is 128000 tokens. However, your messages resulted in 200000 tokens.",
    code: 'context_length_exceeded',
  });

/** A complete answer: the text, then usage and `stop`. */
export const reply = (value: string, pacing: PacingOptions = {}): Step[] => [text(value, pacing), finish('stop')];

export function stepsOf(scenario: Scenario): readonly Step[] {
  return Array.isArray(scenario) ? scenario : (scenario as { steps: readonly Step[] }).steps;
}

export function headersOf(scenario: Scenario): Record<string, string> {
  return Array.isArray(scenario) ? {} : ((scenario as { headers?: Record<string, string> }).headers ?? {});
}
