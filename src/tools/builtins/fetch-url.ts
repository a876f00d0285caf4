import { z } from 'zod';
import { defineTool, type Tool } from '../tool.ts';
import { createAddressPolicy, type AddressPolicy } from './address-policy.ts';
import { guardedFetch, systemResolver, type GuardedResponse, type Resolver } from './guarded-fetch.ts';
import { htmlToText } from './html-to-text.ts';

export type { Resolver } from './guarded-fetch.ts';

export interface FetchUrlOptions {
  /** FETCH_URL_ALLOWLIST: hosts, IPs or CIDRs that may be fetched even when not public. @defaultValue [] */
  allowlist?: readonly string[];
  /** @defaultValue the system resolver (`dns.lookup`, all addresses) */
  resolve?: Resolver;
  /** Bytes of body read at most; the rest is not downloaded. @defaultValue 1_000_000 */
  maxBytes?: number;
  /** Whole fetch, redirects included. @defaultValue 15_000 */
  timeoutMs?: number;
  /** @defaultValue 5 */
  maxRedirects?: number;
  /** @defaultValue 'ofox-bot/0.1 (+fetch_url tool)' */
  userAgent?: string;
}

const DEFAULTS = { maxBytes: 1_000_000, timeoutMs: 15_000, maxRedirects: 5, userAgent: 'ofox-bot/0.1 (+fetch_url tool)' };

/**
 * `fetch_url`: GET a public web page as readable text, through `guardedFetch` (addresses checked
 * after DNS resolution on the connection itself, every redirect hop checked again).
 */
export function fetchUrlTool(options: FetchUrlOptions = {}): Tool {
  const settings = { ...DEFAULTS, ...options };
  const policy = createAddressPolicy(options.allowlist ?? []);
  const resolve = options.resolve ?? systemResolver;
  return defineTool({
    name: 'fetch_url',
    description:
      'Fetches a public web page (http or https) and returns its readable text: title and visible text for HTML, the body for JSON or plain text. Large pages are cut.',
    input: z.object({
      url: z.string().min(1).max(2048).describe('Absolute http(s) URL'),
    }),
    async run(input, context) {
      const signal = AbortSignal.any([context.signal, AbortSignal.timeout(settings.timeoutMs)]);
      return fetchReadable(input.url, { ...settings, policy, resolve, signal });
    },
  });
}

async function fetchReadable(rawUrl: string, settings: typeof DEFAULTS & { policy: AddressPolicy; resolve: Resolver; signal: AbortSignal }): Promise<string> {
  const response = await guardedFetch(rawUrl, {
    ...settings,
    purpose: 'fetch_url',
    overLimit: 'truncate',
    accept: 'text/html,application/xhtml+xml,application/json,text/plain;q=0.9,*/*;q=0.5',
  });
  return render(response.url, response);
}

function render(url: URL, response: GuardedResponse): string {
  const mediaType = (response.contentType.split(';')[0] ?? '').trim().toLowerCase();
  const text = decodeBody(response.body, response.contentType);
  if (response.statusCode >= 400) {
    throw new Error(`HTTP ${response.statusCode} from ${url.href}${text.trim() ? `: ${htmlToText(text).text.slice(0, 300)}` : ''}`);
  }
  const isHtml = mediaType === 'text/html' || mediaType === 'application/xhtml+xml' || (mediaType === '' && /^\s*</.test(text));
  const isText =
    mediaType === '' || mediaType.startsWith('text/') || /^application\/(?:[\w.+-]*\+)?(?:json|xml|javascript|x-ndjson|yaml|x-yaml|toml)$/.test(mediaType);
  if (!isHtml && !isText) throw new Error(`${url.href} is ${mediaType} (not text); fetch_url only reads web pages, JSON and plain text`);

  const lines = [`URL: ${url.href}`];
  let content: string;
  if (isHtml) {
    const page = htmlToText(text);
    if (page.title) lines.push(`Title: ${page.title}`);
    content = page.text;
  } else {
    content = text.trim();
  }
  if (response.truncated) lines.push(`(only the first ${response.body.length} bytes were read)`);
  return `${lines.join('\n')}\n\n${content || '(no text content)'}`;
}

function decodeBody(body: Buffer, contentType: string): string {
  const charset = /charset=["']?([\w.:-]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}
