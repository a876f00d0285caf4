import { request, type Dispatcher } from 'undici';
import { LlmError } from './errors.ts';
import { scrubSecret } from './scrub-secret.ts';

/**
 * OfoxAI's images endpoint (OpenAI-compatible): `POST {baseUrl}/images/generations` with
 * `response_format: "b64_json"`, answering `{ data: [{ b64_json, revised_prompt? }] }`.
 * Gemini image models reject `n`, so it is only sent to the others. Failures are the client's one
 * `LlmError`; a content-policy refusal is its `refused` kind, which the image tool passes on as an answer.
 */

export interface ImageClientOptions {
  /** OFOX_BASE_URL, e.g. https://api.ofox.ai/v1 */
  baseUrl: string;
  apiKey: string;
  /** Until the response headers arrive (generation happens before them). @defaultValue DEFAULTS.headersTimeoutMs */
  headersTimeoutMs?: number;
  /** Between body chunks. @defaultValue DEFAULTS.bodyTimeoutMs */
  bodyTimeoutMs?: number;
  /** Larger responses are refused. @defaultValue DEFAULTS.maxResponseBytes */
  maxResponseBytes?: number;
  /** Tests and proxies. @defaultValue undici's global dispatcher */
  dispatcher?: Dispatcher;
}

export const DEFAULTS = {
  /** @defaultValue 120 s: image models take tens of seconds */
  headersTimeoutMs: 120_000,
  /** @defaultValue 60 s */
  bodyTimeoutMs: 60_000,
  /** @defaultValue 32 MiB (base64 of a few large PNGs) */
  maxResponseBytes: 32 * 1024 * 1024,
};

export interface ImageRequest {
  model: string;
  prompt: string;
  /** e.g. `1024x1024`; omitted: the model's default. */
  size?: string;
  /** How many images; never sent for `google/gemini-*`. @defaultValue 1 */
  n?: number;
  signal?: AbortSignal;
}

export interface GeneratedImage {
  bytes: Buffer;
  mediaType: string;
  revisedPrompt?: string;
}

/** Models that reject `n` (OfoxAI's docs say so for the Gemini image models). */
export function acceptsCount(model: string): boolean {
  return !model.startsWith('google/gemini-');
}

const CONTENT_POLICY = /content[_ ]?policy|safety|moderation|refus/i;

export class ImageClient {
  private readonly options: ImageClientOptions;
  constructor(options: ImageClientOptions) {
    this.options = options;
  }

  async generate(input: ImageRequest): Promise<GeneratedImage[]> {
    const body: Record<string, unknown> = { model: input.model, prompt: input.prompt, response_format: 'b64_json' };
    if (input.size) body.size = input.size;
    if (acceptsCount(input.model)) body.n = input.n ?? 1;
    const url = `${this.options.baseUrl.replace(/\/+$/, '')}/images/generations`;
    let response: Dispatcher.ResponseData;
    try {
      response = await request(url, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.options.apiKey}`, 'content-type': 'application/json', accept: 'application/json' },
        body: JSON.stringify(body),
        headersTimeout: this.options.headersTimeoutMs ?? DEFAULTS.headersTimeoutMs,
        bodyTimeout: this.options.bodyTimeoutMs ?? DEFAULTS.bodyTimeoutMs,
        ...(input.signal ? { signal: input.signal } : {}),
        ...(this.options.dispatcher ? { dispatcher: this.options.dispatcher } : {}),
      });
    } catch (error) {
      if (input.signal?.aborted) throw error;
      const code = (error as { code?: string }).code;
      if (code === 'UND_ERR_HEADERS_TIMEOUT') {
        const timeoutMs = this.options.headersTimeoutMs ?? DEFAULTS.headersTimeoutMs;
        throw new LlmError('the image model took too long to answer', { kind: 'timeout', phase: 'first-byte', timeoutMs }, { cause: error });
      }
      if (code === 'UND_ERR_BODY_TIMEOUT') {
        const timeoutMs = this.options.bodyTimeoutMs ?? DEFAULTS.bodyTimeoutMs;
        throw new LlmError('the image model took too long to answer', { kind: 'timeout', phase: 'idle', timeoutMs }, { cause: error });
      }
      throw new LlmError(`could not reach OfoxAI's images endpoint (${code ?? 'network error'})`, { kind: 'network' }, { cause: error });
    }
    const text = await this.readCapped(response);
    if (response.statusCode >= 400) throw this.errorFor(response.statusCode, text);
    return this.parse(text);
  }

  private async readCapped(response: Dispatcher.ResponseData): Promise<string> {
    const cap = this.options.maxResponseBytes ?? DEFAULTS.maxResponseBytes;
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += (chunk as Buffer).length;
      if (size > cap) {
        response.body.destroy();
        throw new LlmError(`the image response was larger than ${Math.round(cap / 1024 / 1024)} MiB`, { kind: 'server' }, { status: response.statusCode });
      }
      chunks.push(chunk as Buffer);
    }
    return Buffer.concat(chunks).toString('utf8');
  }

  private errorFor(status: number, text: string): LlmError {
    let message: string;
    try {
      const parsed = JSON.parse(text) as { error?: { message?: unknown; code?: unknown; type?: unknown } | string };
      const error = parsed.error;
      message = typeof error === 'string' ? error : [error?.message, error?.code, error?.type].filter((part) => typeof part === 'string').join(' — ');
    } catch {
      message = text.slice(0, 200);
    }
    message = scrubSecret(message, [this.options.apiKey]).trim();
    const options = { status, ...(message ? { upstreamMessage: message } : {}) };
    if (status === 400 && CONTENT_POLICY.test(message)) return new LlmError(`the image model refused this prompt${message ? `: ${message}` : ''}`, { kind: 'refused' }, options);
    if (status === 401 || status === 403) return new LlmError('OfoxAI refused the API key for images', { kind: 'auth' }, options);
    if (status === 429) return new LlmError('OfoxAI is rate limiting image requests; try again shortly', { kind: 'rate-limit', retryAfterMs: undefined }, options);
    const kind = status >= 500 ? 'server' : 'bad-request';
    return new LlmError(`OfoxAI's images endpoint answered ${status}${message ? `: ${message}` : ''}`, { kind }, options);
  }

  private parse(text: string): GeneratedImage[] {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new LlmError('OfoxAI returned an unreadable image response', { kind: 'server' });
    }
    const data = (body as { data?: unknown } | null)?.data;
    if (!Array.isArray(data)) throw new LlmError('OfoxAI returned an image response without `data`', { kind: 'server' });
    const images: GeneratedImage[] = [];
    for (const item of data as Array<{ b64_json?: unknown; revised_prompt?: unknown }>) {
      if (typeof item?.b64_json !== 'string' || item.b64_json === '') continue;
      const bytes = Buffer.from(item.b64_json, 'base64');
      images.push({ bytes, mediaType: sniffMediaType(bytes), ...(typeof item.revised_prompt === 'string' ? { revisedPrompt: item.revised_prompt } : {}) });
    }
    if (images.length === 0) throw new LlmError('the image model returned no image', { kind: 'server' });
    return images;
  }
}

/** PNG, JPEG or WebP from the magic bytes (the response does not say). */
export function sniffMediaType(bytes: Buffer): string {
  if (bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes.subarray(0, 4).toString('latin1') === 'RIFF' && bytes.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  return 'image/png';
}
