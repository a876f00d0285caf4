import type { Redis } from 'ioredis';

/**
 * Interaction tokens are credentials, so they never travel in job data. The gateway stores the
 * token under the job's id for Discord's 15 minutes; the worker reads it to edit the deferred reply.
 */

export interface InteractionTokenStoreOptions {
  redis: Pick<Redis, 'get' | 'set' | 'del'>;
  /** Key prefix, e.g. REDIS_KEY_PREFIX. */
  prefix: string;
  /** How long Discord honours a token. @defaultValue 15 minutes */
  ttlMs?: number;
  /** Stop using a token this long before it expires, so an edit never races the expiry. @defaultValue 30 s */
  safetyMarginMs?: number;
}

const FIFTEEN_MINUTES = 15 * 60_000;

export class InteractionTokenStore {
  private readonly options: InteractionTokenStoreOptions;

  constructor(options: InteractionTokenStoreOptions) {
    this.options = options;
  }

  private key(jobId: string): string {
    return `${this.options.prefix}:discord:interaction-token:${jobId}`;
  }

  /** `issuedAt`: when Discord created the interaction (the token's clock starts then). */
  async save(jobId: string, token: string, issuedAt: number = Date.now()): Promise<void> {
    const ttlMs = this.options.ttlMs ?? FIFTEEN_MINUTES;
    const expiresAt = issuedAt + ttlMs;
    const remaining = Math.max(1, expiresAt - Date.now());
    await this.options.redis.set(this.key(jobId), JSON.stringify({ token, expiresAt }), 'PX', remaining);
  }

  /** The token while it is still safely usable, else undefined. */
  async get(jobId: string): Promise<string | undefined> {
    const raw = await this.options.redis.get(this.key(jobId));
    if (!raw) return undefined;
    try {
      const value = JSON.parse(raw) as { token?: unknown; expiresAt?: unknown };
      if (typeof value.token !== 'string' || typeof value.expiresAt !== 'number') return undefined;
      return Date.now() < value.expiresAt - (this.options.safetyMarginMs ?? 30_000) ? value.token : undefined;
    } catch {
      return undefined;
    }
  }

  async forget(jobId: string): Promise<void> {
    await this.options.redis.del(this.key(jobId));
  }
}
