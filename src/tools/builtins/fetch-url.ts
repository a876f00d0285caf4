import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { pipeline, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { defineTool, type Tool } from '../tool.ts';
import { createAddressPolicy, stripBrackets, type AddressPolicy } from './address-policy.ts';
import { FetchUrlRefusedError } from './fetch-url-refused-error.ts';
import { htmlToText } from './html-to-text.ts';

/** Resolves a host name to every address it has. Injectable so tests can fake DNS. */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

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

const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

/**
 * `fetch_url`: GET a public web page as readable text. Addresses are checked after DNS resolution,
 * inside the connection's own lookup, so the checked address is the one connected to (a second
 * DNS answer cannot swap in a private one); redirects are followed by hand and checked each hop.
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

interface FetchSettings {
  maxBytes: number;
  maxRedirects: number;
  userAgent: string;
  policy: AddressPolicy;
  resolve: Resolver;
  signal: AbortSignal;
}

async function fetchReadable(rawUrl: string, settings: FetchSettings): Promise<string> {
  const dispatcher = new Agent({
    connect: { lookup: validatingLookup(settings.policy, settings.resolve), timeout: 10_000 },
    // One request per connection: nothing is reused across hops, so every hop is looked up and checked.
    pipelining: 0,
  });
  try {
    let url = parseUrl(rawUrl);
    for (let hop = 0; ; hop++) {
      checkUrl(url, settings.policy);
      const response = await send(url, dispatcher, settings);
      if (response.statusCode >= 300 && response.statusCode < 400 && response.location !== undefined) {
        if (hop >= settings.maxRedirects) throw new Error(`too many redirects (more than ${settings.maxRedirects})`);
        url = parseUrl(response.location, url);
        continue;
      }
      return render(url, response);
    }
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
}

interface FetchedResponse {
  statusCode: number;
  location?: string;
  contentType: string;
  body: Buffer;
  truncated: boolean;
}

async function send(url: URL, dispatcher: Agent, settings: FetchSettings): Promise<FetchedResponse> {
  let response;
  try {
    response = await request(url, {
      method: 'GET',
      dispatcher,
      signal: settings.signal,
      headers: {
        'user-agent': settings.userAgent,
        accept: 'text/html,application/xhtml+xml,application/json,text/plain;q=0.9,*/*;q=0.5',
        'accept-encoding': 'identity',
      },
    });
  } catch (error) {
    const refused = findRefusal(error);
    if (refused) throw refused;
    if (settings.signal.aborted) throw new Error(`fetching ${url.href} took too long and was stopped`, { cause: error });
    throw new Error(`could not fetch ${url.href}: ${describeError(error)}`, { cause: error });
  }
  const header = (name: string) => {
    const value = response.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  if (response.statusCode >= 300 && response.statusCode < 400) {
    await response.body.dump().catch(() => {});
    return { statusCode: response.statusCode, location: header('location'), contentType: '', body: Buffer.alloc(0), truncated: false };
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  // We asked for identity, but a server may compress anyway; the cap then counts decompressed bytes.
  const decoder = decompressorFor(header('content-encoding'));
  const source: AsyncIterable<Buffer> = decoder ? pipeline(response.body, decoder, () => {}) : response.body;
  try {
    for await (const chunk of source) {
      const room = settings.maxBytes - size;
      if (chunk.length >= room) {
        chunks.push(chunk.subarray(0, room));
        size += room;
        truncated = chunk.length > room;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (error) {
    if (settings.signal.aborted) throw new Error(`fetching ${url.href} took too long and was stopped`, { cause: error });
    throw new Error(`the download from ${url.href} failed: ${describeError(error)}`, { cause: error });
  } finally {
    response.body.destroy();
    decoder?.destroy();
  }
  return { statusCode: response.statusCode, contentType: header('content-type') ?? '', body: Buffer.concat(chunks), truncated };
}

function render(url: URL, response: FetchedResponse): string {
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

function decompressorFor(encoding: string | undefined): Transform | undefined {
  switch (encoding?.trim().toLowerCase()) {
    case 'gzip':
    case 'x-gzip':
      return createGunzip();
    case 'deflate':
      return createInflate();
    case 'br':
      return createBrotliDecompress();
    default:
      return undefined;
  }
}

function decodeBody(body: Buffer, contentType: string): string {
  const charset = /charset=["']?([\w.:-]+)/i.exec(contentType)?.[1];
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(body);
  } catch {
    return new TextDecoder('utf-8').decode(body);
  }
}

function parseUrl(raw: string, base?: URL): URL {
  let url: URL;
  try {
    url = new URL(raw, base);
  } catch {
    throw new Error(`"${raw}" is not a valid URL`);
  }
  return url;
}

function checkUrl(url: URL, policy: AddressPolicy): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchUrlRefusedError(`refused ${url.href}: only http and https URLs can be fetched`);
  }
  if (url.username || url.password) throw new FetchUrlRefusedError(`refused ${url.href}: URLs with credentials are not fetched`);
  const host = stripBrackets(url.hostname);
  if (policy.isAllowedHost(host)) return;
  const hostRefusal = policy.hostRefusal(host);
  if (hostRefusal) throw new FetchUrlRefusedError(`refused ${url.href}: ${hostRefusal}`);
  // An IP literal never reaches the lookup hook, so it is checked here.
  if (isIP(host) !== 0) {
    const why = policy.refusal(host);
    if (why) throw new FetchUrlRefusedError(`refused ${url.href}: ${why}, which fetch_url may not reach`);
  }
}

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The `lookup` net.connect calls for host names: resolves, drops every refused address and hands
 * the connection only the survivors, so the address checked is the address used.
 */
function validatingLookup(policy: AddressPolicy, resolve: Resolver) {
  return (hostname: string, options: { all?: boolean; family?: number | string }, callback: LookupCallback): void => {
    resolve(hostname).then(
      (addresses) => {
        const allowedHost = policy.isAllowedHost(hostname);
        const wantFamily = options.family === 6 || options.family === 'IPv6' ? 6 : options.family === 4 || options.family === 'IPv4' ? 4 : 0;
        const refusals: string[] = [];
        const usable: LookupAddress[] = [];
        for (const { address } of addresses) {
          const family = isIP(address);
          if (family === 0 || (wantFamily !== 0 && family !== wantFamily)) continue;
          const why = allowedHost ? undefined : policy.refusal(address);
          if (why) refusals.push(why);
          else usable.push({ address, family });
        }
        if (usable.length === 0) {
          const reason = refusals.length > 0 ? `${hostname} resolves to ${refusals.join('; ')}, which fetch_url may not reach` : `${hostname} has no usable address`;
          callback(new FetchUrlRefusedError(`refused: ${reason}`), '');
          return;
        }
        if (options.all) callback(null, usable);
        else callback(null, usable[0]!.address, usable[0]!.family);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), ''),
    );
  };
}

function findRefusal(error: unknown): FetchUrlRefusedError | undefined {
  for (let current: unknown = error, depth = 0; current && depth < 5; depth++) {
    if (current instanceof FetchUrlRefusedError) return current;
    if (current instanceof AggregateError) {
      const inner = current.errors.map(findRefusal).find(Boolean);
      if (inner) return inner;
    }
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${code ? ` [${code}]` : ''}${cause}`;
}
