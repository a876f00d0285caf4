import type { Clock } from '../../../src/render/clock.ts';
import {
  SurfaceMessageGoneError,
  SurfaceRateLimitedError,
  type MessageOptions,
  type MessageRef,
  type Surface,
  type SurfaceLimits,
} from '../../../src/render/surface.ts';

export interface SurfaceCall {
  kind: 'create' | 'edit';
  /** Undefined for a create until it succeeds. */
  messageId: string | undefined;
  text: string;
  options: MessageOptions | undefined;
  startedAt: number;
  endedAt: number | undefined;
  result: 'ok' | 'rate-limited' | 'failed' | 'gone' | 'pending';
}

export type Failure = { kind: 'rate-limited'; retryAfterMs: number } | { kind: 'failed' } | { kind: 'gone' };

export interface RecordingSurfaceOptions {
  clock: Clock;
  limits: SurfaceLimits;
  channelKey?: string;
  /** Latency of each call. @defaultValue 0 */
  latency?: () => number;
  /** Decides the fate of each call (checked when it starts). @defaultValue always succeeds */
  failure?: (call: SurfaceCall) => Failure | undefined;
  /** Shared between surfaces of one channel, so the whole channel's traffic is in one list. */
  channelLog?: SurfaceCall[];
  /** Prefix of message ids. @defaultValue 'm' */
  idPrefix?: string;
}

/**
 * A platform stand-in that records every call and what each message shows, with latency and
 * failures chosen by the test. It also checks the rule the renderer must keep: never two writes
 * in flight for one message.
 */
export class RecordingSurface implements Surface {
  readonly limits: SurfaceLimits;
  readonly channelKey: string;
  readonly calls: SurfaceCall[] = [];
  readonly channelLog: SurfaceCall[];
  /** Message id → the text and options it shows now. */
  readonly shown = new Map<string, { text: string; options: MessageOptions | undefined }>();
  /** Ids in the order the messages were created. */
  readonly created: string[] = [];
  maxInFlightPerMessage = 0;
  maxInFlightTotal = 0;
  private readonly clock: Clock;
  private readonly latency: () => number;
  private readonly failure: (call: SurfaceCall) => Failure | undefined;
  private readonly idPrefix: string;
  private readonly inFlight = new Map<string, number>();
  private inFlightTotal = 0;
  private nextId = 1;

  constructor(options: RecordingSurfaceOptions) {
    this.clock = options.clock;
    this.limits = options.limits;
    this.channelKey = options.channelKey ?? 'test:channel';
    this.latency = options.latency ?? (() => 0);
    this.failure = options.failure ?? (() => undefined);
    this.channelLog = options.channelLog ?? [];
    this.idPrefix = options.idPrefix ?? 'm';
  }

  /** Adds a message as if ingress had posted it. */
  placeholder(text = 'thinking…'): MessageRef {
    const id = `${this.idPrefix}${this.nextId++}`;
    this.shown.set(id, { text, options: undefined });
    this.created.push(id);
    return { id, channelId: 'channel' };
  }

  async create(text: string, options?: MessageOptions): Promise<MessageRef> {
    const call = this.begin('create', undefined, text, options);
    await this.finish(call, 'new');
    const id = `${this.idPrefix}${this.nextId++}`;
    call.messageId = id;
    this.shown.set(id, { text, options });
    this.created.push(id);
    return { id, channelId: 'channel' };
  }

  async edit(ref: MessageRef, text: string, options?: MessageOptions): Promise<void> {
    const call = this.begin('edit', ref.id, text, options);
    await this.finish(call, ref.id);
    this.shown.set(ref.id, { text, options });
  }

  /** Texts the messages show now, in creation order. */
  texts(): string[] {
    return this.created.map((id) => this.shown.get(id)?.text ?? '');
  }

  private begin(kind: SurfaceCall['kind'], messageId: string | undefined, text: string, options: MessageOptions | undefined): SurfaceCall {
    const call: SurfaceCall = {
      kind,
      messageId,
      text,
      options: options && structuredClone(options),
      startedAt: this.clock.now(),
      endedAt: undefined,
      result: 'pending',
    };
    this.calls.push(call);
    this.channelLog.push(call);
    return call;
  }

  private async finish(call: SurfaceCall, key: string): Promise<void> {
    const count = (this.inFlight.get(key) ?? 0) + 1;
    this.inFlight.set(key, count);
    if (key !== 'new') this.maxInFlightPerMessage = Math.max(this.maxInFlightPerMessage, count);
    this.inFlightTotal += 1;
    this.maxInFlightTotal = Math.max(this.maxInFlightTotal, this.inFlightTotal);
    const failure = this.failure(call);
    try {
      const latency = this.latency();
      if (latency > 0) await new Promise<void>((resolve) => this.clock.setTimeout(resolve, latency));
    } finally {
      this.inFlight.set(key, (this.inFlight.get(key) ?? 1) - 1);
      this.inFlightTotal -= 1;
      call.endedAt = this.clock.now();
    }
    if (failure?.kind === 'rate-limited') {
      call.result = 'rate-limited';
      throw new SurfaceRateLimitedError(failure.retryAfterMs);
    }
    if (failure?.kind === 'failed') {
      call.result = 'failed';
      throw new Error('platform had a hiccup (500)');
    }
    if (failure?.kind === 'gone') {
      call.result = 'gone';
      throw new SurfaceMessageGoneError('message was deleted');
    }
    call.result = 'ok';
  }
}

/** The most calls that started inside any window of `windowMs` (a half-open [t, t + windowMs)). */
export function busiestWindow(calls: readonly SurfaceCall[], windowMs: number): number {
  const starts = calls.map((call) => call.startedAt).sort((a, b) => a - b);
  let busiest = 0;
  let first = 0;
  for (let last = 0; last < starts.length; last += 1) {
    // A hair of tolerance: virtual times are floats, and 1612 - 1e-13 is the same millisecond.
    while (starts[last]! - starts[first]! >= windowMs - 1e-6) first += 1;
    busiest = Math.max(busiest, last - first + 1);
  }
  return busiest;
}
