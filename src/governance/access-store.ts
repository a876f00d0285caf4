import type { Cluster, Redis } from 'ioredis';
import { ACCESS_LISTS, emptyRule, mergeRules, type AccessList } from './access-rules.ts';
import type { AccessRule, GovernanceConfig } from './governance-config.ts';

export type AccessLevel = 'workspace' | 'channel';

export interface AccessScope {
  platform: string;
  workspaceId: string;
  channelId: string;
}

/**
 * Access rules: the config file's, plus what admins added with commands (a Redis hash per
 * workspace and per channel: one field per list, JSON arrays, and `dms`).
 */
export class AccessStore {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #config: GovernanceConfig['access'];

  constructor(options: { redis: Redis | Cluster; prefix: string; config: GovernanceConfig['access'] }) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#config = options.config;
  }

  /** The rules in force at both levels for a request in this channel. */
  async rulesFor(scope: AccessScope): Promise<{ workspace: AccessRule; channel: AccessRule }> {
    const [workspaceStored, channelStored] = await Promise.all([this.stored(scope, 'workspace'), this.stored(scope, 'channel')]);
    const configured = this.#config.workspaces[scope.workspaceId];
    return {
      workspace: mergeRules(this.#config.default, configured, workspaceStored),
      channel: mergeRules(configured?.channels[scope.channelId], channelStored),
    };
  }

  /** What admins stored at one level (nothing from the config file). */
  async stored(scope: AccessScope, level: AccessLevel): Promise<AccessRule> {
    return fromHash(await this.#redis.hgetall(this.#key(scope, level)));
  }

  /** Adds ids to (or removes them from) one list; returns the list before and after. */
  async change(scope: AccessScope, level: AccessLevel, list: AccessList, action: 'add' | 'remove', ids: readonly string[]): Promise<{ before: string[]; after: string[] }> {
    const key = this.#key(scope, level);
    // WATCH/MULTI so two admins editing the same list at once do not lose one change.
    for (;;) {
      await this.#redis.watch(key);
      const before = parseList(await this.#redis.hget(key, list));
      const after = action === 'add' ? [...new Set([...before, ...ids])] : before.filter((id) => !ids.includes(id));
      const transaction = this.#redis.multi();
      if (after.length > 0) transaction.hset(key, list, JSON.stringify(after));
      else transaction.hdel(key, list);
      if ((await transaction.exec()) !== null) return { before, after };
    }
  }

  /** Direct messages on / off at this level, or `null` to inherit. Returns the stored value before. */
  async setDms(scope: AccessScope, level: AccessLevel, on: boolean | null): Promise<boolean | undefined> {
    const key = this.#key(scope, level);
    const before = await this.#redis.hget(key, 'dms');
    if (on === null) await this.#redis.hdel(key, 'dms');
    else await this.#redis.hset(key, 'dms', on ? '1' : '0');
    return before === null ? undefined : before === '1';
  }

  #key(scope: AccessScope, level: AccessLevel): string {
    const workspace = `${this.#prefix}:gov:access:${encodeURIComponent(scope.platform)}:${encodeURIComponent(scope.workspaceId)}`;
    return level === 'workspace' ? workspace : `${workspace}:channel:${encodeURIComponent(scope.channelId)}`;
  }
}

function parseList(value: string | null | undefined): string[] {
  if (!value) return [];
  try {
    const parsed: unknown = JSON.parse(value);
    return Array.isArray(parsed) ? parsed.filter((item): item is string => typeof item === 'string') : [];
  } catch {
    return [];
  }
}

function fromHash(hash: Record<string, string>): AccessRule {
  const rule = emptyRule();
  for (const list of ACCESS_LISTS) rule[list] = parseList(hash[list]);
  if (hash.dms !== undefined) rule.dms = hash.dms === '1';
  return rule;
}
