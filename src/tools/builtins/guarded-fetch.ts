import { lookup as dnsLookup } from 'node:dns/promises';
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { pipeline, type Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';
import { Agent, request } from 'undici';
import { stripBrackets, type AddressPolicy } from './address-policy.ts';
import { FetchUrlRefusedError } from './fetch-url-refused-error.ts';

/**
 * One GET under the address policy, for everything the bot downloads from a URL it was handed
 * (`fetch_url`, chat attachments): addresses are checked after DNS resolution inside the
 * connection's own lookup, so the checked address is the one connected to (a second DNS answer
 * cannot swap in a private one); redirects are followed by hand and every hop is checked again;
 * the body is capped while it streams, and a declared Content-Length over a refusing cap is
 * refused before any of the body is read. Written here rather than taken from a library because
 * the check has to sit inside undici's connect-time lookup.
 */

/** Resolves a host name to every address it has. Injectable so tests can fake DNS. */
export type Resolver = (hostname: string) => Promise<Array<{ address: string; family: number }>>;

export const systemResolver: Resolver = (hostname) => dnsLookup(hostname, { all: true, verbatim: true });

export interface GuardedFetchOptions {
  policy: AddressPolicy;
  /** @defaultValue the system resolver (`dns.lookup`, all addresses) */
  resolve?: Resolver;
  signal: AbortSignal;
  /** Who fetches, in refusal messages ("…, which fetch_url may not reach"). */
  purpose: string;
  /** Every hop's origin (`https://cdn.example.com`) must be one of these; absent, any origin. */
  origins?: readonly string[];
  /** Extra request headers for a hop (credentials only ever go to `origins`). */
  headers?: (url: URL) => Record<string, string>;
  /** Bytes of (decoded) body read at most. */
  maxBytes: number;
  /** `truncate` keeps the first `maxBytes`; `refuse` fails the fetch before reading more. */
  overLimit: 'truncate' | 'refuse';
  /**
   * A response whose Content-Length is above this is refused before any of its body is read.
   * @defaultValue maxBytes when `overLimit` is `refuse`, else no limit
   */
  maxDeclaredBytes?: number;
  /** @defaultValue 5 */
  maxRedirects?: number;
  /** @defaultValue 'ofox-bot/0.1' */
  userAgent?: string;
  /** @defaultValue '*\/*' */
  accept?: string;
}

export interface GuardedResponse {
  /** Where the body came from, after redirects. */
  url: URL;
  statusCode: number;
  contentType: string;
  body: Buffer;
  truncated: boolean;
}

/** The body is (or says it is) larger than the cap that refuses. */
export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

const DEFAULTS = { maxRedirects: 5, userAgent: 'ofox-bot/0.1', accept: '*/*' };

export async function guardedFetch(rawUrl: string, options: GuardedFetchOptions): Promise<GuardedResponse> {
  const settings = { ...DEFAULTS, ...options };
  const dispatcher = new Agent({
    connect: { lookup: validatingLookup(settings.policy, settings.resolve ?? systemResolver, settings.purpose), timeout: 10_000 },
    // One request per connection: nothing is reused across hops, so every hop is looked up and checked.
    pipelining: 0,
  });
  try {
    let url = parseUrl(rawUrl);
    for (let hop = 0; ; hop++) {
      checkUrl(url, settings);
      const response = await send(url, dispatcher, settings);
      if (response.statusCode >= 300 && response.statusCode < 400 && response.location !== undefined) {
        if (hop >= settings.maxRedirects) throw new Error(`too many redirects (more than ${settings.maxRedirects})`);
        url = parseUrl(response.location, url);
        continue;
      }
      return { url, statusCode: response.statusCode, contentType: response.contentType, body: response.body, truncated: response.truncated };
    }
  } finally {
    await dispatcher.destroy().catch(() => {});
  }
}

interface Hop {
  statusCode: number;
  location?: string;
  contentType: string;
  body: Buffer;
  truncated: boolean;
}

type Settings = GuardedFetchOptions & typeof DEFAULTS;

async function send(url: URL, dispatcher: Agent, settings: Settings): Promise<Hop> {
  let response;
  try {
    response = await request(url, {
      method: 'GET',
      dispatcher,
      signal: settings.signal,
      headers: { 'user-agent': settings.userAgent, accept: settings.accept, 'accept-encoding': 'identity', ...settings.headers?.(url) },
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
  const declared = Number(header('content-length'));
  const maxDeclared = settings.maxDeclaredBytes ?? (settings.overLimit === 'refuse' ? settings.maxBytes : Number.POSITIVE_INFINITY);
  if (Number.isFinite(declared) && declared > maxDeclared) {
    response.body.destroy();
    throw new BodyTooLargeError(`${url.href} is ${declared} bytes, more than the ${maxDeclared} allowed; not downloaded`);
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
      if (chunk.length > room && settings.overLimit === 'refuse') {
        throw new BodyTooLargeError(`${url.href} sent more than the ${settings.maxBytes} bytes allowed; download stopped`);
      }
      if (chunk.length > room) {
        // Any byte past the cap (even in the next chunk after an exact fill) marks the cut.
        chunks.push(chunk.subarray(0, room));
        size += room;
        truncated = true;
        break;
      }
      chunks.push(chunk);
      size += chunk.length;
    }
  } catch (error) {
    if (error instanceof BodyTooLargeError) throw error;
    if (settings.signal.aborted) throw new Error(`fetching ${url.href} took too long and was stopped`, { cause: error });
    throw new Error(`the download from ${url.href} failed: ${describeError(error)}`, { cause: error });
  } finally {
    response.body.destroy();
    decoder?.destroy();
  }
  return { statusCode: response.statusCode, contentType: header('content-type') ?? '', body: Buffer.concat(chunks), truncated };
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

function parseUrl(raw: string, base?: URL): URL {
  try {
    return new URL(raw, base);
  } catch {
    throw new Error(`"${raw}" is not a valid URL`);
  }
}

function checkUrl(url: URL, settings: Settings): void {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new FetchUrlRefusedError(`refused ${url.href}: only http and https URLs can be fetched`);
  }
  if (url.username || url.password) throw new FetchUrlRefusedError(`refused ${url.href}: URLs with credentials are not fetched`);
  if (settings.origins && !settings.origins.includes(url.origin)) {
    throw new FetchUrlRefusedError(`refused ${url.href}: ${url.origin} is not one of the hosts ${settings.purpose} may fetch from`);
  }
  const { policy } = settings;
  const host = stripBrackets(url.hostname);
  if (policy.isAllowedHost(host)) return;
  const hostRefusal = policy.hostRefusal(host);
  if (hostRefusal) throw new FetchUrlRefusedError(`refused ${url.href}: ${hostRefusal}`);
  // An IP literal never reaches the lookup hook, so it is checked here.
  if (isIP(host) !== 0) {
    const why = policy.refusal(host);
    if (why) throw new FetchUrlRefusedError(`refused ${url.href}: ${why}, which ${settings.purpose} may not reach`);
  }
}

type LookupCallback = (error: Error | null, address: string | LookupAddress[], family?: number) => void;

/**
 * The `lookup` net.connect calls for host names: resolves, drops every refused address and hands
 * the connection only the survivors, so the address checked is the address used.
 */
function validatingLookup(policy: AddressPolicy, resolve: Resolver, purpose: string) {
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
          const reason = refusals.length > 0 ? `${hostname} resolves to ${refusals.join('; ')}, which ${purpose} may not reach` : `${hostname} has no usable address`;
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

export function describeError(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: string }).code;
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
  return `${error.message}${code ? ` [${code}]` : ''}${cause}`;
}
