import { DiscordAPIError, RateLimitError, REST, type RESTOptions } from 'discord.js';
import type { Config } from '../../src/config.ts';
import { SurfaceMessageGoneError, SurfaceRateLimitedError } from '../../src/render/surface.ts';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomUUID } from 'node:crypto';
import { transportPacer } from '../../src/render/transport-pacer.ts';
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
 * Marks the requests made inside `call` as having drawn their bot-wide token already, together with
 * the channel's in one grant of the pacer (the renderer's message writes): the client sends them at
 * once. Drawing the two apart would let the bot-wide wait, seconds under load, pass between the
 * channel's grant and the request's arrival, which Discord then counts in a later channel window
 * than the pacer did (a channel 429). A context rather than a flag on the request, because
 * discord.js builds the request; it follows the call through the client's queue.
 */
const botBudgetDrawn = new AsyncLocalStorage<true>();

export function withBotBudgetDrawn<T>(call: () => Promise<T>): Promise<T> {
  return botBudgetDrawn.run(true, call);
}

/**
 * Every request the client sends (reads, typing and writes) first takes a token of the bot-wide
 * budget from the process's shared pacer (`shareTransportPacer`), so all of the bot's processes
 * together stay under Discord's 50 requests a second. Interaction webhooks are exempt, as on Discord.
 */
export function paceEveryRequest(rest: REST, budget = discordGlobalBudget()): void {
  const send = rest.options.makeRequest;
  rest.options.makeRequest = async (url, init) => {
    const pacer = transportPacer();
    // Typing asked the pacer already (`discordTypingRequest`), and interaction webhooks are exempt.
    if (pacer && botBudgetDrawn.getStore() !== true && !/\/(webhooks|interactions)\/|\/typing$/.test(url)) {
      const ticket = randomUUID();
      for (let wait = await pacer.acquire({ budgets: [budget], writeClass: 'final', ticket }); wait > 0; ) {
        await new Promise((resolve) => setTimeout(resolve, wait));
        wait = await pacer.acquire({ budgets: [budget], writeClass: 'final', ticket });
      }
    }
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
