import { loadConfig } from '../../src/config.ts';
import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runUsageCommand } from '../../src/cli/usage-command.ts';
import { AccessStore, AuditLog, governApprovals, parseGovernanceConfig } from '../../src/governance/index.ts';
import { ApprovalBroker } from '../../src/tools/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { redisClient } from './support.ts';

let redis: Redis;
let prefix: string;
let broker: ApprovalBroker;
let audit: AuditLog;
let access: AccessStore;

beforeEach(() => {
  redis = redisClient();
  prefix = newTestPrefix('gov-approvals');
  broker = new ApprovalBroker({ redis, prefix, timeoutMs: 5_000 });
  audit = new AuditLog({ redis, prefix, maxEntries: 100 });
  const config = parseGovernanceConfig({ access: { workspaces: { G1: { approverGroups: ['R-leads'] } } } });
  access = new AccessStore({ redis, prefix, config: config.access });
});

afterEach(async () => {
  await broker.close();
  redis.disconnect();
  await deleteKeys(prefix);
});

describe('tool approvals under governance', () => {
  it('a named approver may decide for someone else, and the decision is audited', async () => {
    const decide = governApprovals((click) => broker.decide(click), { access, audit });
    const prompt = await broker.open({ jobId: 'job-1', toolName: 'fetch_url', summary: '{}', userId: 'U-asker' });
    const stranger = await decide({ approvalId: prompt.approvalId, userId: 'U-stranger', isAdmin: false, decision: 'approve', platform: 'discord', workspaceId: 'G1', channelId: 'C1', groups: ['R-other'] });
    expect(stranger.status).toBe('not-allowed');
    const lead = await decide({ approvalId: prompt.approvalId, userId: 'U-lead', isAdmin: false, decision: 'approve', platform: 'discord', workspaceId: 'G1', channelId: 'C1', groups: ['R-leads'] });
    expect(lead).toEqual({ status: 'accepted', toolName: 'fetch_url' });
    const entries = await audit.recent({ limit: 10 });
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ platform: 'discord', workspaceId: 'G1', channelId: 'C1', actor: 'U-lead', action: 'approval', target: `tool fetch_url (approval ${prompt.approvalId})`, before: 'waiting for approval', after: 'approved' });
  });
});

describe('the audit trail', () => {
  it('keeps a bounded number of entries and is readable from the CLI, newest first', async () => {
    for (let index = 0; index < 400; index += 1) {
      await audit.record({ platform: 'slack', workspaceId: 'T1', actor: 'UADMIN', action: 'budget', target: `limit ${index}`, before: '(unset)', after: `$${index}.00`, at: Date.UTC(2026, 11, 1, 12, 0, 0) });
    }
    // Approximate trimming keeps at least the limit and never lets the stream grow without bound.
    const length = await redis.xlen(`${prefix}:gov:audit`);
    expect(length).toBeGreaterThanOrEqual(100);
    expect(length).toBeLessThan(400);

    let printed = '';
    const code = await runUsageCommand(['--audit', '2'], { ...loadConfig({ REDIS_URL: testRedisUrl() }, '/nonexistent/.env'), REDIS_KEY_PREFIX: prefix }, { write: (chunk: string) => (printed += chunk) });
    expect(code).toBe(0);
    expect(printed).toBe('2026-12-01 12:00 UTC · UADMIN · budget: limit 399: (unset) → $399.00\n2026-12-01 12:00 UTC · UADMIN · budget: limit 398: (unset) → $398.00\n');
  });
});
