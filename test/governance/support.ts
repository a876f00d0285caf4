import { Redis } from 'ioredis';
import type { Inbound } from '../../src/ingress/inbound.ts';
import { parseGovernanceConfig, type GovernanceConfig } from '../../src/governance/index.ts';
import { testRedisUrl } from '../helpers/redis.ts';

let counter = 0;

/** A mention in a Discord-like workspace; override what the test is about. */
export function inbound(overrides: Partial<Omit<Inbound, 'user'>> & { user?: Partial<Inbound['user']> } = {}): Inbound {
  counter += 1;
  const { user, ...rest } = overrides;
  return {
    platform: 'discord',
    eventId: `evt-${counter}-${Date.now()}`,
    workspaceId: 'G1',
    channelId: 'C1',
    isDirect: false,
    prompt: 'hello',
    attachments: [],
    trigger: 'mention',
    ...rest,
    user: { id: 'U1', groups: [], isAdmin: false, ...user },
  };
}

export function governanceConfig(raw: unknown): GovernanceConfig {
  return parseGovernanceConfig(raw);
}

export function redisClient(): Redis {
  return new Redis(testRedisUrl(), { maxRetriesPerRequest: 2 });
}
