import { DiscordAPIError, RateLimitError, REST, type RESTOptions } from 'discord.js';
import type { Config } from '../../src/config.ts';
import { SurfaceMessageGoneError, SurfaceRateLimitedError } from '../../src/render/surface.ts';
import { randomUUID } from 'node:crypto';
import { grantedBudgets, sendingGranted } from '../../src/render/grant-scope.ts';
import { transportPacer } from '../../src/render/transport-pacer.ts';
import { untilGranted } from '../../src/render/until-granted.ts';
import { DiscordRejectedError } from './errors.ts';
import { discordGlobalBudget } from './write-budgets.ts';

/**
 * The REST client the worker uses, and the mapping of Discord's failures onto the renderer's errors.
 *
 * A 429 (or a bucket the X-RateLimit headers say is empty) is never waited out inside the client:
 * `rejectOnRateLimit` turns it into a `RateLimitError` at once, which becomes a
 * `SurfaceRateLimitedError`, so the renderer's latest-wins pacing decides what to send next.
 * Reads (GET) still wait: nothing is gained by failing a context fetch.
 */

/** @discordjs/rest appends `/v10` to `api`, so a DISCORD_API_URL that already ends in a version loses it. */
export function discordApiBase(config: Pick<Config, 'DISCORD_API_URL'>): string | undefined {
  if (!config.DISCORD_API_URL) return undefined;
  return config.DISCORD_API_URL.replace(/\/+$/, '').replace(/\/v\d+$/, '');
}

/** REST options shared by the worker's client and the gateway's discord.js client. */
export function discordRestOptions(config: Pick<Config, 'DISCORD_API_URL'>): Partial<RESTOptions> {
  const api = discordApiBase(config);
  return api ? { api } : {};
}

export function createDiscordRest(config: Pick<Config, 'DISCORD_TOKEN' | 'DISCORD_API_URL'>, options: Partial<RESTOptions> = {}): REST {
  const rest = new REST({
    ...discordRestOptions(config),
    rejectOnRateLimit: (data) => data.method.toUpperCase() !== 'GET',
    // Network blips and 5xx only; the renderer retries with the latest text anyway.
    retries: 1,
    timeout: 15_000,
    ...options,
  });
  if (config.DISCORD_TOKEN) rest.setToken(config.DISCORD_TOKEN);
  paceEveryRequest(rest);
  return rest;
}

/**
 * Every request the client sends (reads, typing and writes) holds a token of the bot-wide budget
 * from the process's shared pacer (`shareTransportPacer`), so all of the bot's processes together
 * stay under Discord's 50 requests a second. The renderer's message writes drew it with the
 * channel's in one grant (`discordChannelWriteBudgets`), so the request can leave the moment both
 * have room; any other request draws it here. Interaction webhooks are exempt, as on Discord, and
 * typing asked the pacer already (`discordTypingRequest`).
 *
 * A granted write may leave long after its grant: discord.js sends one request of a route at a
 * time, so the fifth of five creates granted at once in a channel waits four round trips in its
 * queue. Here, past that queue, is the last moment before the request leaves, so this is where the
 * grant is confirmed (`sendingGranted`), after the bot-wide token when that is drawn here.
 */
export function paceEveryRequest(rest: REST, budget = discordGlobalBudget()): void {
  const send = rest.options.makeRequest;
  rest.options.makeRequest = async (url, init) => {
    const pacer = transportPacer();
    const drawnWithGrant = grantedBudgets()?.some((granted) => granted.key === budget.key) === true;
    if (pacer && !drawnWithGrant && !/\/(webhooks|interactions)\/|\/typing$/.test(url)) {
      await untilGranted(pacer, { budgets: [budget], writeClass: 'final', ticket: randomUUID() });
    }
    await sendingGranted();
    return send(url, init);
  };
}

const GONE_CODES = new Set([
  10003, // Unknown Channel
  10008, // Unknown Message
  10015, // Unknown Webhook (interaction token no longer valid)
  50027, // Invalid Webhook Token
  50083, // Thread is archived
]);

/** Rate limits, vanished messages and permanent refusals become typed errors; anything else is rethrown. */
export function toSurfaceError(error: unknown): unknown {
  if (error instanceof RateLimitError) {
    const limited = new SurfaceRateLimitedError(Math.max(1, Math.ceil(Math.max(error.retryAfter, error.timeToReset, 0))));
    // The surface reads `global` to hold off the bot's budget rather than the channel's.
    Object.defineProperty(limited, 'cause', { value: error });
    return limited;
  }
  if (error instanceof DiscordAPIError) {
    if (GONE_CODES.has(Number(error.code)) || error.status === 404) return new SurfaceMessageGoneError(`discord: ${error.message} (${error.code})`);
    if (error.status === 400 || error.status === 403) {
      return new DiscordRejectedError(`Discord rejected the message: ${describeApiError(error)}`, { code: error.code, status: error.status, cause: error });
    }
  }
  return error;
}

/** "content: Must be 2000 or fewer in length." from a 50035 Invalid Form Body, else Discord's message. */
export function describeApiError(error: DiscordAPIError): string {
  const raw = error.rawError as { errors?: unknown; message?: string };
  const details = raw.errors ? flattenFormErrors(raw.errors) : [];
  return details.length > 0 ? details.join('; ') : `${error.message} (${error.code})`;
}

function flattenFormErrors(node: unknown, path: string[] = []): string[] {
  if (typeof node !== 'object' || node === null) return [];
  const record = node as Record<string, unknown>;
  const found: string[] = [];
  if (Array.isArray(record._errors)) {
    for (const item of record._errors as { message?: string }[]) found.push(`${path.join('.') || 'body'}: ${item.message ?? 'invalid'}`);
  }
  for (const [key, value] of Object.entries(record)) if (key !== '_errors') found.push(...flattenFormErrors(value, [...path, key]));
  return found;
}

/** Runs one REST call and maps its failure. */
export async function surfaceCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw toSurfaceError(error);
  }
}
