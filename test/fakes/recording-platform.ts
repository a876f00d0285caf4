import type { Redis } from 'ioredis';
import type { ChatMessage } from '../../src/llm/types.ts';
import type { ChatJob } from '../../src/queue/chat-job.ts';
import type { MessageOptions, MessageRef, Surface, SurfaceLimits } from '../../src/render/surface.ts';
import { SurfaceRateLimitedError } from '../../src/render/surface.ts';
import type { ApprovalOutcome, ApprovalPrompt, ApprovalSurface, PlatformPorts } from '../../src/worker/ports.ts';

/**
 * A chat platform that only records: every message the bot posts and every write, kept in memory
 * or in Redis (so a worker in another process writes where the test reads). It can answer 429s
 * and lag like a real this.
 */

export interface RecordedWrite {
  kind: 'create' | 'edit';
  id: string;
  text: string;
  at: number;
  final: boolean;
  controls?: string;
}

export interface RecordingStore {
  nextId(): Promise<string>;
  write(entry: RecordedWrite): Promise<void>;
  writes(): Promise<RecordedWrite[]>;
}

export class MemoryRecordingStore implements RecordingStore {
  private counter = 0;
  readonly log: RecordedWrite[] = [];
  async nextId() {
    this.counter += 1;
    return `m${this.counter}`;
  }
  async write(entry: RecordedWrite) {
    this.log.push(entry);
  }
  async writes() {
    return [...this.log];
  }
}

export class RedisRecordingStore implements RecordingStore {
  private readonly redis: Redis;
  private readonly key: string;
  constructor(redis: Redis, key: string) {
    this.redis = redis;
    this.key = key;
  }
  async nextId() {
    return `m${await this.redis.incr(`${this.key}:ids`)}`;
  }
  async write(entry: RecordedWrite) {
    await this.redis.rpush(`${this.key}:writes`, JSON.stringify(entry));
  }
  async writes() {
    return (await this.redis.lrange(`${this.key}:writes`, 0, -1)).map((line) => JSON.parse(line) as RecordedWrite);
  }
}

export interface RecordingPlatformOptions {
  store?: RecordingStore;
  limits?: Partial<SurfaceLimits>;
  /** Milliseconds each write takes. @defaultValue 0 */
  latencyMs?: number;
  /** Probability a write answers 429. @defaultValue 0 */
  rateLimitRate?: number;
  history?: (job: ChatJob) => ChatMessage[];
  approvals?: boolean;
  /** The first N approval prompts answer 429, as a busy channel would. @defaultValue 0 */
  approvalRateLimits?: number;
}

export interface ApprovalPost {
  prompt: ApprovalPrompt;
  outcome?: ApprovalOutcome;
  decidedBy?: string;
}

export class RecordingPlatform implements PlatformPorts {
  readonly platform = 'recording';
  readonly store: RecordingStore;
  readonly approvalPosts: ApprovalPost[] = [];
  readonly approvals?: ApprovalSurface;
  inFlight = 0;
  maxInFlightPerMessage = 0;
  rateLimited = 0;
  approvalRefusals = 0;
  private readonly inFlightByMessage = new Map<string, number>();
  private readonly options: RecordingPlatformOptions;
  readonly conversation;

  constructor(options: RecordingPlatformOptions = {}) {
    this.options = options;
    this.store = options.store ?? new MemoryRecordingStore();
    this.conversation = { history: async (job: ChatJob) => options.history?.(job) ?? [] };
    if (options.approvals) {
      this.approvals = {
        post: async (_job, prompt) => {
          if ((this.options.approvalRateLimits ?? 0) > this.approvalRefusals) {
            this.approvalRefusals += 1;
            throw new SurfaceRateLimitedError(30);
          }
          this.approvalPosts.push({ prompt });
          return { id: `approval-${prompt.approvalId}`, channelId: 'c' };
        },
        resolve: async (_ref, prompt, outcome, decidedBy) => {
          const post = this.approvalPosts.find((entry) => entry.prompt.approvalId === prompt.approvalId);
          if (post) Object.assign(post, { outcome, decidedBy });
        },
      };
    }
  }

  /** Posts a placeholder the way ingress does before enqueueing. */
  async postPlaceholder(channelId: string): Promise<MessageRef> {
    const id = await this.store.nextId();
    await this.store.write({ kind: 'create', id, text: 'thinking…', at: Date.now(), final: false });
    return { id, channelId };
  }

  surfaceFor(job: ChatJob): Surface {
    return this.surface(job.channelId);
  }

  surface(channelId: string): Surface {
    const limits: SurfaceLimits = { maxChars: 2_000, minEditIntervalMs: 100, ...this.options.limits };
    const write = async (kind: 'create' | 'edit', id: string, text: string, options?: MessageOptions) => {
      const current = (this.inFlightByMessage.get(id) ?? 0) + 1;
      this.inFlightByMessage.set(id, current);
      this.maxInFlightPerMessage = Math.max(this.maxInFlightPerMessage, current);
      try {
        if (this.options.latencyMs) await new Promise((resolve) => setTimeout(resolve, this.options.latencyMs));
        if (this.options.rateLimitRate && Math.random() < this.options.rateLimitRate) {
          this.rateLimited += 1;
          throw new SurfaceRateLimitedError(50);
        }
        if (text.length > limits.maxChars) throw new Error(`message too long: ${text.length}`);
        await this.store.write({ kind, id, text, at: Date.now(), final: Boolean(options?.final), controls: options?.controls?.kind });
      } finally {
        this.inFlightByMessage.set(id, (this.inFlightByMessage.get(id) ?? 1) - 1);
      }
    };
    return {
      limits,
      channelKey: `recording:${channelId}`,
      create: async (text, options) => {
        const id = await this.store.nextId();
        await write('create', id, text, options);
        return { id, channelId };
      },
      edit: async (ref, text, options) => {
        await write('edit', ref.id, text, options);
      },
    };
  }

  /** The latest text of every message, in the order they were created. */
  async messages(): Promise<Array<{ id: string; text: string; final: boolean; controls?: string }>> {
    const latest = new Map<string, { id: string; text: string; final: boolean; controls?: string }>();
    for (const entry of await this.store.writes()) latest.set(entry.id, { id: entry.id, text: entry.text, final: entry.final, controls: entry.controls });
    return [...latest.values()];
  }
}
