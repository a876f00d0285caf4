import type { MessageRef } from '../render/surface.ts';
import type { Inbound } from './inbound.ts';

export type { MessageRef } from '../render/surface.ts';

/**
 * What an adapter does for one request, in the platform's own words. The pipeline
 * (`ingress-pipeline.ts`) decides when each runs; an adapter builds one set of ports per event, so
 * each port may close over that event's client, interaction or hooks.
 */
export interface IngressPorts {
  /**
   * After the claim and the gate: where the answer goes may change here (Discord opens a thread
   * per conversation). A failure is logged and the request continues unchanged.
   * @defaultValue the inbound unchanged
   */
  route?(inbound: Inbound): Promise<Inbound>;
  /**
   * Tells the asker the request arrived without spending message budget: typing, a reaction, an
   * assistant status. `placeholderComing` is false when no placeholder will be posted (none on this
   * platform, or the pacer said no). A failure is logged, never thrown.
   */
  acknowledge?(inbound: Inbound, placeholderComing: boolean): Promise<void>;
  /**
   * Redis is unreachable and the request waits in the outbox: show the asker that it waits, without
   * spending message budget where the platform allows (typing, a deferral, a private note).
   * @defaultValue nothing is shown
   */
  waiting?: WaitingPort;
  /** The message shown until the worker's first text; absent where the acknowledgment is enough. */
  placeholder?: PlaceholderPort;
  /**
   * Last step before the job is enqueued (Discord `/ask` keeps its interaction token for the
   * worker). A failure ends the request: the failure is shown and nothing is enqueued.
   */
  beforeEnqueue?(inbound: Inbound, jobId: string): Promise<void>;
  /**
   * The request could not be started: say so in the placeholder, or in a new message when there is
   * none, in the platform's wording. A failure is logged, never thrown.
   */
  showFailure(inbound: Inbound, placeholder: MessageRef | undefined): Promise<void>;
  /** A note only the asker sees (the gate's refusal). A failure is logged, never thrown. */
  notifyPrivately(inbound: Inbound, text: string): Promise<void>;
}

/**
 * `forbidden`: the platform refused the write for lack of permission, so no answer could ever be
 * shown here; the request is dropped (logged) instead of making every later write count towards a ban.
 */
export type PlaceholderOutcome = MessageRef | undefined | 'forbidden';

export interface PlaceholderPort {
  /**
   * The pacing key the placeholder would be written under (the surface's `channelKey`), or
   * undefined when posting it spends no channel budget and must not wait (Discord's deferred
   * `/ask` reply, due within 3 s).
   */
  channelKey(inbound: Inbound): string | undefined;
  /** Posts it (with a Stop button for `jobId`). A thrown error is logged and the job goes ahead without one. */
  post(inbound: Inbound, jobId: string): Promise<PlaceholderOutcome>;
  /**
   * Without it the request cannot go on (Discord's `/ask`: an interaction not deferred within 3 s
   * is dead), so a failed post fails the request. @defaultValue false
   */
  required?: boolean;
  /** Someone had already queued this event: remove what this attempt posted. @defaultValue leave it */
  discard?(placeholder: MessageRef): Promise<void>;
}

export interface WaitingPort {
  /** Requests with the same key share one indication (Discord's typing is per channel). */
  key(inbound: Inbound): string;
  /** Shown again this often while a request with the key waits (typing fades after ~10 s). @defaultValue shown once */
  renewEveryMs?: number;
  /** A failure is logged, never thrown. */
  show(inbound: Inbound): Promise<void>;
}
