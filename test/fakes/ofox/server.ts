import { createServer } from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { renderAnthropic } from './render-anthropic.ts';
import { renderOpenAi } from './render-openai.ts';
import type { Scenario } from './scenario.ts';
import { reply } from './scenario.ts';
import type { Action, RenderedResponse } from './wire.ts';
import { defaultErrorMessage, defaultErrorType, errorBody } from './wire.ts';

export type FakeProtocol = 'openai' | 'anthropic';

/** One request as the fake saw it (credentials removed). */
export interface FakeRequest {
  /** 1-based arrival order. */
  sequence: number;
  protocol: FakeProtocol | 'models' | 'images';
  method: string;
  path: string;
  /** Lower-cased; `authorization` and `x-api-key` removed. */
  headers: Record<string, string | string[] | undefined>;
  /** Parsed JSON body (undefined for GET or unparseable bodies). */
  body: Record<string, unknown> | undefined;
  model: string | undefined;
  /** The wire messages as sent (OpenAI or Anthropic shape). */
  messages: unknown[];
  /** The conversation ends with a tool result: the agent loop is in a follow-up round. */
  lastMessageIsToolResult: boolean;
  /** Text of the last user message (text blocks joined), if any. */
  lastUserText: string | undefined;
  /** Whether the request carried the configured API key. */
  authorized: boolean;
}

export interface FakeModel {
  id: string;
  context_length?: number;
  pricing?: Record<string, string | number>;
  [key: string]: unknown;
}

export type Responder = (request: FakeRequest) => Scenario | Promise<Scenario>;

/** One answer of the images endpoint: images (base64 PNGs) or an error, as OfoxAI sends them. */
export interface ImageAnswer {
  /** How many images. @defaultValue the request's `n`, else 1 */
  images?: number;
  /** Bytes of each image. @defaultValue TINY_PNG */
  bytes?: Buffer;
  /** An error status instead of images (400 with a content-policy message for refusals). */
  status?: number;
  error?: { message: string; type?: string; code?: string };
  /** Milliseconds before answering. @defaultValue 0 */
  delayMs?: number;
}

/** A valid 1×1 PNG. */
export const TINY_PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==', 'base64');

/** What OfoxAI answers a prompt its image model will not draw. */
export function refusedImage(message = 'Your request was rejected as a result of our safety system (content_policy_violation).'): ImageAnswer {
  return { status: 400, error: { message, type: 'invalid_request_error', code: 'content_policy_violation' } };
}

export interface FakeOfoxOptions {
  /** @defaultValue `'test-key'` */
  apiKey?: string;
  /** Served by `GET /v1/models`. @defaultValue three well-known models */
  models?: FakeModel[];
  /** Added to every response; `false` sends none. @defaultValue limit 1000, remaining 999, reset `1s` */
  rateLimitHeaders?: Record<string, string> | false;
  /** Decides each request no queued scenario claims. @defaultValue echo the last user text */
  responder?: Responder;
}

export interface FakeOfox {
  /** `http://127.0.0.1:PORT` */
  readonly url: string;
  /** `http://127.0.0.1:PORT/v1` */
  readonly openaiBaseUrl: string;
  /** `http://127.0.0.1:PORT/anthropic` */
  readonly anthropicBaseUrl: string;
  readonly apiKey: string;
  /** Every request in arrival order. */
  /** Chat and image requests, in order (model-list reads are in `allRequests` only: workers read it for prices). */
  readonly requests: FakeRequest[];
  /** Every request, model-list reads included. */
  readonly allRequests: FakeRequest[];
  /** The chat requests (without image requests). */
  chatRequests(): FakeRequest[];
  /** Decides every request that the queue does not claim. */
  respond(responder: Responder): void;
  /** Scenarios used one per chat request, first in first out, before the responder. */
  enqueue(...scenarios: Scenario[]): void;
  /** Answers for `POST /v1/images/generations`, one per request; without one, a small PNG per image asked. */
  enqueueImages(...answers: ImageAnswer[]): void;
  setModels(models: FakeModel[]): void;
  setRateLimitHeaders(headers: Record<string, string> | false): void;
  /** Clears the queue and recorded requests and restores the default responder. */
  reset(): void;
  /** Streams in progress right now. */
  readonly activeStreams: number;
  /** TCP connections accepted so far (keep-alive reuse shows as fewer connections than requests). */
  readonly connections: number;
  close(): Promise<void>;
}

export const DEFAULT_FAKE_MODELS: FakeModel[] = [
  { id: 'openai/gpt-4o', context_length: 128_000, pricing: { prompt: '0.0000025', completion: '0.00001', input_cache_read: '0.00000125' } },
  { id: 'openai/gpt-4o-mini', context_length: 128_000, pricing: { prompt: '0.00000015', completion: '0.0000006', input_cache_read: '0.000000075' } },
  {
    id: 'anthropic/claude-sonnet-4.5',
    context_length: 200_000,
    pricing: { prompt: '0.000003', completion: '0.000015', input_cache_read: '0.0000003', input_cache_write: '0.00000375' },
  },
];

const DEFAULT_RATE_LIMIT_HEADERS: Record<string, string> = {
  'x-ratelimit-limit-requests': '1000',
  'x-ratelimit-remaining-requests': '999',
  'x-ratelimit-reset-requests': '1s',
};

const echo: Responder = (request) => reply(`You said: ${request.lastUserText ?? '(nothing)'}`);

/**
 * A loopback OfoxAI speaking both wire formats, driven by scenarios. Cheap enough for a thousand
 * concurrent streams: a scenario is rendered once into writes and waits, then played.
 */
export async function startFakeOfox(options: FakeOfoxOptions = {}): Promise<FakeOfox> {
  const apiKey = options.apiKey ?? 'test-key';
  let models = options.models ?? DEFAULT_FAKE_MODELS;
  let rateLimitHeaders = options.rateLimitHeaders ?? DEFAULT_RATE_LIMIT_HEADERS;
  let responder = options.responder ?? echo;
  const queue: Scenario[] = [];
  const imageQueue: ImageAnswer[] = [];
  const requests: FakeRequest[] = [];
  const allRequests: FakeRequest[] = [];
  const live = new Set<() => void>();
  let active = 0;
  let connections = 0;

  const server = createServer((incoming, response) => {
    void handle(incoming, response).catch(() => {
      if (!response.headersSent) response.writeHead(500).end();
      else response.destroy();
    });
  });
  server.keepAliveTimeout = 30_000;
  server.on('connection', () => {
    connections += 1;
  });

  async function handle(incoming: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of incoming) chunks.push(chunk as Buffer);
    const path = (incoming.url ?? '/').split('?')[0] ?? '/';
    const protocol = protocolOf(incoming.method ?? 'GET', path);
    const request = describeRequest(incoming, path, protocol, Buffer.concat(chunks).toString('utf8'), requests.length + 1, apiKey);
    allRequests.push(request);
    if (protocol !== 'models') requests.push(request);
    const limitHeaders = rateLimitHeaders === false ? {} : rateLimitHeaders;

    if (protocol === undefined) {
      sendJson(response, 404, limitHeaders, errorBody('openai', { message: `No route for ${incoming.method} ${path}`, type: 'not_found_error' }));
      return;
    }
    const wire: FakeProtocol = protocol === 'anthropic' ? 'anthropic' : 'openai';
    if (!request.authorized) {
      sendJson(response, 401, limitHeaders, errorBody(wire, { message: defaultErrorMessage(401), type: defaultErrorType(401), code: 'invalid_api_key' }));
      return;
    }
    if (protocol === 'models') {
      sendJson(response, 200, limitHeaders, { object: 'list', data: models.map((model) => ({ object: 'model', owned_by: model.id.split('/')[0], ...model })) });
      return;
    }
    if (protocol === 'images') {
      const answer = imageQueue.shift() ?? {};
      if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
      if (answer.status && answer.status >= 400) {
        sendJson(response, answer.status, limitHeaders, { error: { message: answer.error?.message ?? defaultErrorMessage(answer.status), type: answer.error?.type ?? defaultErrorType(answer.status), code: answer.error?.code ?? null } });
        return;
      }
      const count = answer.images ?? (typeof request.body?.n === 'number' ? request.body.n : 1);
      const b64 = (answer.bytes ?? TINY_PNG).toString('base64');
      sendJson(response, 200, limitHeaders, { created: Math.floor(Date.now() / 1000), data: Array.from({ length: count }, () => ({ b64_json: b64 })) });
      return;
    }
    const scenario = queue.shift() ?? (await responder(request));
    const context = { model: request.model ?? 'unknown', promptChars: JSON.stringify(request.messages).length };
    const rendered = wire === 'anthropic' ? renderAnthropic(scenario, context, limitHeaders) : renderOpenAi(scenario, context, limitHeaders);
    active += 1;
    try {
      await play(response, rendered, live);
    } finally {
      active -= 1;
    }
  }

  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0, backlog: 4096 }, resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    openaiBaseUrl: `${url}/v1`,
    anthropicBaseUrl: `${url}/anthropic`,
    apiKey,
    requests,
    allRequests,
    chatRequests: () => requests.filter((request) => request.protocol === 'openai' || request.protocol === 'anthropic'),
    respond(next) {
      responder = next;
    },
    enqueue(...scenarios) {
      queue.push(...scenarios);
    },
    enqueueImages(...answers) {
      imageQueue.push(...answers);
    },
    setModels(next) {
      models = next;
    },
    setRateLimitHeaders(next) {
      rateLimitHeaders = next;
    },
    reset() {
      queue.length = 0;
      imageQueue.length = 0;
      requests.length = 0;
      allRequests.length = 0;
      responder = options.responder ?? echo;
    },
    get activeStreams() {
      return active;
    },
    get connections() {
      return connections;
    },
    async close() {
      for (const stop of [...live]) stop();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}

function protocolOf(method: string, path: string): FakeProtocol | 'models' | 'images' | undefined {
  if (method === 'POST' && path === '/v1/chat/completions') return 'openai';
  if (method === 'POST' && path === '/anthropic/v1/messages') return 'anthropic';
  if (method === 'GET' && (path === '/v1/models' || path === '/anthropic/v1/models')) return 'models';
  if (method === 'POST' && path === '/v1/images/generations') return 'images';
  return undefined;
}

function describeRequest(
  incoming: IncomingMessage,
  path: string,
  protocol: FakeProtocol | 'models' | 'images' | undefined,
  text: string,
  sequence: number,
  apiKey: string,
): FakeRequest {
  const { authorization, 'x-api-key': keyHeader, ...headers } = incoming.headers;
  const presented = protocol === 'anthropic' && typeof keyHeader === 'string' ? keyHeader : authorization?.replace(/^Bearer\s+/i, '');
  let body: Record<string, unknown> | undefined;
  try {
    const parsed: unknown = text === '' ? undefined : JSON.parse(text);
    if (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    body = undefined;
  }
  const messages = Array.isArray(body?.messages) ? (body.messages as unknown[]) : [];
  return {
    sequence,
    protocol: protocol ?? 'openai',
    method: incoming.method ?? 'GET',
    path,
    headers,
    body,
    model: typeof body?.model === 'string' ? body.model : undefined,
    messages,
    lastMessageIsToolResult: endsWithToolResult(messages),
    lastUserText: lastUserText(messages),
    authorized: presented === apiKey,
  };
}

function endsWithToolResult(messages: unknown[]): boolean {
  const last = messages[messages.length - 1] as { role?: unknown; content?: unknown } | undefined;
  if (last === undefined) return false;
  if (last.role === 'tool') return true;
  return last.role === 'user' && Array.isArray(last.content) && last.content.some((block: { type?: unknown }) => block?.type === 'tool_result');
}

function lastUserText(messages: unknown[]): string | undefined {
  for (let index = messages.length - 1; index >= 0; index--) {
    const message = messages[index] as { role?: unknown; content?: unknown };
    if (message.role !== 'user') continue;
    if (typeof message.content === 'string') return message.content;
    if (Array.isArray(message.content)) {
      const texts = message.content.filter((block: { type?: unknown }) => block?.type === 'text').map((block: { text?: unknown }) => String(block.text ?? ''));
      if (texts.length > 0) return texts.join('\n');
    }
  }
  return undefined;
}

function sendJson(response: ServerResponse, status: number, headers: Record<string, string>, body: unknown): void {
  response.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
}

interface Playback {
  gone: boolean;
  cancelWait: (() => void) | undefined;
}

/**
 * Plays a rendered response. Waits are plain timers (no AbortSignal per wait): with a thousand
 * paced streams, signal listeners would cost more than the streams themselves.
 */
async function play(response: ServerResponse, rendered: RenderedResponse, live: Set<() => void>): Promise<void> {
  const playback: Playback = { gone: false, cancelWait: undefined };
  const stop = (): void => {
    playback.gone = true;
    playback.cancelWait?.();
  };
  response.once('close', stop);
  live.add(stop);
  let headersSent = false;
  const sendHeaders = (): void => {
    if (headersSent) return;
    headersSent = true;
    response.writeHead(rendered.status, rendered.headers);
    response.flushHeaders();
  };
  const pause = (settle: (resume: () => void) => () => void): Promise<void> =>
    new Promise<void>((resolve) => {
      playback.cancelWait = settle(resolve);
    }).then(() => {
      playback.cancelWait = undefined;
    });
  try {
    for (const action of rendered.actions as Action[]) {
      if (playback.gone) return;
      switch (action.kind) {
        case 'wait':
          await pause((resume) => {
            const timer = setTimeout(resume, action.ms);
            return () => {
              clearTimeout(timer);
              resume();
            };
          });
          break;
        case 'flush-headers':
          sendHeaders();
          break;
        case 'write':
          sendHeaders();
          if (!response.write(action.data)) {
            await pause((resume) => {
              response.once('drain', resume);
              return () => {
                response.off('drain', resume);
                resume();
              };
            });
          }
          break;
        case 'destroy':
          response.socket?.destroy();
          return;
      }
    }
    if (playback.gone) return;
    sendHeaders();
    response.end();
  } finally {
    response.off('close', stop);
    live.delete(stop);
  }
}
