import type { Cluster, Redis } from 'ioredis';
import type { GateRefusalReason } from '../ingress/gate.ts';
import { GOVERNANCE_DEFAULTS } from './governance-config.ts';

/**
 * A refused person hears why once per reason per hour: SET NX with an expiry, shared by every
 * gateway, so a burst of refused mentions does not become a burst of private replies.
 */
export class RefusalNotices {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #windowMs: number;

  constructor(options: { redis: Redis | Cluster; prefix: string; windowMs?: number }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#windowMs = options.windowMs ?? GOVERNANCE_DEFAULTS.noticeWindowMs;
  }

  /** True the first time in the window (send the notice), false for a repeat. */
  async shouldNotify(user: { platform: string; workspaceId: string; userId: string }, reason: GateRefusalReason): Promise<boolean> {
    const key = `${this.#prefix}:gov:notice:${reason}:${encodeURIComponent(user.platform)}:${encodeURIComponent(user.workspaceId)}:${encodeURIComponent(user.userId)}`;
    return (await this.#redis.set(key, '1', 'PX', this.#windowMs, 'NX')) === 'OK';
  }
}
