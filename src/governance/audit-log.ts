import type { Cluster, Redis } from 'ioredis';
import { GOVERNANCE_DEFAULTS } from './governance-config.ts';

export type AuditAction = 'settings' | 'budget' | 'access' | 'approval' | 'channel-option';

export interface AuditEntry {
  /** Epoch ms. */
  at: number;
  platform: string;
  workspaceId: string;
  channelId?: string;
  /** Who made the change (platform user id). */
  actor: string;
  action: AuditAction;
  /** What changed, e.g. `model (channel)`, `dailyUsd for user U1`, `denyUsers (workspace)`. */
  target: string;
  /** Values as short text; `(unset)` for nothing. */
  before: string;
  after: string;
}

/**
 * Every change of settings, budgets, access and every tool approval, newest last, in one Redis
 * stream trimmed to `maxEntries` (approximately: trimming whole nodes is what keeps XADD cheap).
 */
export class AuditLog {
  readonly #redis: Redis | Cluster;
  readonly #key: string;
  readonly #maxEntries: number;
  readonly #now: () => number;

  constructor(options: { redis: Redis | Cluster; prefix: string; maxEntries?: number; now?: () => number }) {
    this.#redis = options.redis;
    this.#key = `${options.prefix}:gov:audit`;
    this.#maxEntries = options.maxEntries ?? GOVERNANCE_DEFAULTS.auditMaxEntries;
    this.#now = options.now ?? Date.now;
  }

  async record(entry: Omit<AuditEntry, 'at'> & { at?: number }): Promise<void> {
    const full: AuditEntry = { ...entry, at: entry.at ?? this.#now() };
    await this.#redis.xadd(this.#key, 'MAXLEN', '~', this.#maxEntries, '*', 'entry', JSON.stringify(full));
  }

  /** Newest first; `workspace` keeps one workspace's entries (what its admins may read). */
  async recent(options: { limit: number; workspace?: { platform: string; workspaceId: string }; since?: number }): Promise<AuditEntry[]> {
    const found: AuditEntry[] = [];
    let end = '+';
    // Read back in pages until enough entries of this workspace are found or the stream ends.
    for (;;) {
      const page = await this.#redis.xrevrange(this.#key, end, '-', 'COUNT', 200);
      for (const [id, fields] of page) {
        end = `(${id}`;
        const entry = parseEntry(fields);
        if (!entry) continue;
        if (options.since !== undefined && entry.at < options.since) return found;
        if (options.workspace && (entry.platform !== options.workspace.platform || entry.workspaceId !== options.workspace.workspaceId)) continue;
        found.push(entry);
        if (found.length >= options.limit) return found;
      }
      if (page.length < 200) return found;
    }
  }
}

function parseEntry(fields: string[]): AuditEntry | undefined {
  const index = fields.indexOf('entry');
  const value = index >= 0 ? fields[index + 1] : undefined;
  if (!value) return undefined;
  try {
    return JSON.parse(value) as AuditEntry;
  } catch {
    return undefined;
  }
}

/** One line per entry, for the command and the CLI. */
export function formatAuditEntry(entry: AuditEntry): string {
  const when = new Date(entry.at).toISOString().replace('T', ' ').slice(0, 16);
  const where = entry.channelId ? ` in ${entry.channelId}` : '';
  return `${when} UTC · ${entry.actor}${where} · ${entry.action}: ${entry.target}: ${entry.before} → ${entry.after}`;
}
