import type { ChatJob } from '../src/queue/chat-job.ts';
import { SurfaceRateLimitedError, type MessageOptions, type MessageRef, type Surface, type SurfaceLimits } from '../src/render/surface.ts';
import type { PlatformPorts } from '../src/worker/ports.ts';

/**
 * A chat platform shaped like Discord for the bench: every write takes `latencyMs`, and each
 * channel allows `editsPerWindow` worker writes per `windowMs` (a sliding window, counted when the
 * request arrives). Over the limit it answers 429 like Discord would, and counts it: the renderer's
 * shared pacer is supposed to keep that count at zero. Writes are reported to `onWrite` with their
 * timing instead of being stored, so 1000 streams cost little memory.
 */

export interface CompletedWrite {
  messageId: string;
  kind: 'create' | 'edit';
  text: string;
  final: boolean;
  startedAt: number;
  completedAt: number;
}

export interface PacedPlatformOptions {
  latencyMs: number;
  editsPerWindow: number;
  windowMs: number;
  maxChars: number;
  minEditIntervalMs: number;
  onWrite: (write: CompletedWrite) => void;
  now: () => number;
}

export class PacedPlatform implements PlatformPorts {
  readonly platform = 'bench';
  readonly conversation = { history: async () => [] };
  rateLimited = 0;
  /** For each 429: how many ms too early the write arrived (its retry-after). */
  readonly rateLimitShortfallsMs: number[] = [];
  writes = 0;
  /** Messages the worker created itself (continuations or a lost placeholder): the bench expects none. */
  workerCreates = 0;
  maxInFlightPerMessage = 0;
  private readonly options: PacedPlatformOptions;
  /** Per channel, arrival times of accepted writes still inside the window (ascending). */
  private readonly windows = new Map<string, number[]>();
  private readonly inFlight = new Map<string, number>();
  private nextId = 0;

  constructor(options: PacedPlatformOptions) {
    this.options = options;
  }

  /** Posts the "thinking…" message the way ingress does before it enqueues the job. Creates use Discord's separate create bucket, so they do not count against the edit window. */
  async postPlaceholder(channelId: string): Promise<MessageRef> {
    await this.delay();
    this.nextId += 1;
    return { id: `p${this.nextId}`, channelId };
  }

  surfaceFor(job: ChatJob): Surface {
    const { channelId } = job;
    const limits: SurfaceLimits = {
      maxChars: this.options.maxChars,
      minEditIntervalMs: this.options.minEditIntervalMs,
      channelEditsPerWindow: this.options.editsPerWindow,
      channelWindowMs: this.options.windowMs,
    };
    return {
      limits,
      channelKey: `bench:${channelId}`,
      create: async (text, options) => {
        this.workerCreates += 1;
        this.nextId += 1;
        const id = `w${this.nextId}`;
        await this.write('create', channelId, id, text, options);
        return { id, channelId };
      },
      edit: async (ref, text, options) => {
        await this.write('edit', channelId, ref.id, text, options);
      },
    };
  }

  private async write(kind: 'create' | 'edit', channelId: string, messageId: string, text: string, options: MessageOptions | undefined): Promise<void> {
    const startedAt = this.options.now();
    const inFlight = (this.inFlight.get(messageId) ?? 0) + 1;
    this.inFlight.set(messageId, inFlight);
    this.maxInFlightPerMessage = Math.max(this.maxInFlightPerMessage, inFlight);
    try {
      const retryAfterMs = this.admit(channelId, startedAt);
      await this.delay();
      if (retryAfterMs > 0) {
        this.rateLimited += 1;
        this.rateLimitShortfallsMs.push(retryAfterMs);
        // Discord's retry_after is whole milliseconds at best.
        throw new SurfaceRateLimitedError(Math.ceil(retryAfterMs));
      }
      if (text.length > this.options.maxChars) throw new Error(`message too long: ${text.length}`);
      this.writes += 1;
      this.options.onWrite({ messageId, kind, text, final: Boolean(options?.final), startedAt, completedAt: this.options.now() });
    } finally {
      const left = (this.inFlight.get(messageId) ?? 1) - 1;
      if (left > 0) this.inFlight.set(messageId, left);
      else this.inFlight.delete(messageId);
    }
  }

  /** 0 when the channel has room (and the write is counted), else the ms until it will. */
  private admit(channelId: string, at: number): number {
    const { editsPerWindow, windowMs } = this.options;
    let log = this.windows.get(channelId);
    if (!log) {
      log = [];
      this.windows.set(channelId, log);
    }
    while (log.length > 0 && (log[0] ?? 0) + windowMs <= at) log.shift();
    if (log.length >= editsPerWindow) return Math.max(0.001, (log[0] ?? at) + windowMs - at);
    log.push(at);
    return 0;
  }

  private delay(): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
  }
}
