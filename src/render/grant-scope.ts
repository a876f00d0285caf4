import { AsyncLocalStorage } from 'node:async_hooks';
import type { Clock } from './clock.ts';
import { untilGranted } from './until-granted.ts';
import type { PermitRequest, WriteBudget, WritePacer } from './write-budget.ts';

/**
 * Carries a write's grant from the code that asked the pacer for it (the renderer, `pacedWrite`)
 * to the platform client that sends it, so the client can say when the request really leaves.
 *
 * The pacer stamps a grant when it takes the tokens; the platform counts the request when it
 * arrives. In between the request may wait in the client's own queue: discord.js sends one
 * request of a route at a time, so the last of five creates granted at once in a channel leaves
 * four round trips after its grant, and a busy event loop adds more. A request that leaves later
 * than its budgets' margin lands in a window the pacer counted as free (under load, a bot-wide
 * 429 on Discord), so the client calls {@link sendingGranted} as the request leaves and the pacer
 * moves the grant's tokens to that moment (`WritePacer.sendingNow`).
 *
 * A context rather than a parameter, because the platform library builds and queues the request;
 * the context follows the call through the library's queue to its transport hook.
 */
export interface GrantedWrite {
  pacer: WritePacer;
  request: PermitRequest;
  /** `clock.now()` when the grant reached the writer. */
  grantedAt: number;
  clock: Clock;
}

interface Scope {
  grant: GrantedWrite;
  /** A grant covers one request: the first one made inside the scope. */
  used: boolean;
}

const current = new AsyncLocalStorage<Scope>();

/** Runs `call` (one platform write) as the holder of `grant`; without a grant it just runs it. */
export function sendWithGrant<T>(grant: GrantedWrite | undefined, call: () => Promise<T>): Promise<T> {
  return grant ? current.run({ grant, used: false }, call) : call();
}

/** The budgets the next request made here will hold tokens of (see `sendingGranted`); undefined outside a grant or once it is used. */
export function grantedBudgets(): readonly WriteBudget[] | undefined {
  const scope = current.getStore();
  return scope && !scope.used ? scope.grant.request.budgets : undefined;
}

/**
 * For a platform client's transport, as a request leaves: the budgets whose tokens this request
 * holds, once the pacer has confirmed them for this moment (or granted fresh ones, waiting if it
 * must); undefined for a request made outside any grant, or after the first inside one, which
 * draws its own tokens as any other request would.
 */
export async function sendingGranted(): Promise<readonly WriteBudget[] | undefined> {
  const scope = current.getStore();
  if (!scope || scope.used) return undefined;
  scope.used = true;
  const { pacer, request, clock, grantedAt } = scope.grant;
  // Pacers promise never to reject; if one does, the request goes as granted rather than never.
  const wait = (await pacer.sendingNow?.(request, clock.now() - grantedAt).catch(() => 0)) ?? 0;
  await untilGranted(pacer, request, clock, wait);
  return request.budgets;
}
