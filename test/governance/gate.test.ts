import type { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { BudgetLedger, createGovernance, createGovernanceGate, Fairness, usdToNano, type GovernanceConfig } from '../../src/governance/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import type { GateDecision, IngressGate } from '../../src/ingress/gate.ts';
import { deleteKeys, newTestPrefix } from '../helpers/redis.ts';
import { governanceConfig, inbound, redisClient } from './support.ts';

let redis: Redis;
let prefix: string;
// 2026-12-01 15:00 UTC: nine hours before the day's budgets reset.
const NOW = Date.UTC(2026, 11, 1, 15, 0, 0);

beforeEach(() => {
  redis = redisClient();
  prefix = newTestPrefix('gate');
});

afterEach(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

/** The refusal's fields, or nothing when the request was allowed. */
const notice = (decision: GateDecision) => (decision.allowed ? undefined : decision.notice);
const reason = (decision: GateDecision) => (decision.allowed ? undefined : decision.reason);

function gate(raw: unknown): { gate: IngressGate; config: GovernanceConfig } {
  const config = governanceConfig(raw);
  return { gate: createGovernanceGate({ redis, prefix, config, now: () => NOW }), config };
}

describe('access rules at the gate', () => {
  it('a denied user, role and channel each get one private refusal, then none within the hour', async () => {
    const { gate: check } = gate({
      contact: '#ai-help',
      access: { workspaces: { G1: { denyUsers: ['U-banned'], denyGroups: ['R-interns'], denyChannels: ['C-random'] } } },
    });
    const user = await check.check(inbound({ user: { id: 'U-banned' } }));
    expect(user).toEqual({ allowed: false, reason: 'access', notice: 'You are not allowed to use the assistant here. Ask #ai-help if you think this is wrong.' });
    expect(await check.check(inbound({ user: { id: 'U-banned' } }))).toEqual({ allowed: false, reason: 'access' });

    const role = await check.check(inbound({ user: { id: 'U2', groups: ['R-staff', 'R-interns'] } }));
    expect(role).toEqual({ allowed: false, reason: 'access', notice: 'One of your roles or groups is not allowed to use the assistant here. Ask #ai-help if you think this is wrong.' });
    expect(await check.check(inbound({ user: { id: 'U2', groups: ['R-interns'] } }))).toEqual({ allowed: false, reason: 'access' });

    const channel = await check.check(inbound({ user: { id: 'U3' }, channelId: 'C-random' }));
    expect(channel).toEqual({ allowed: false, reason: 'access', notice: 'The assistant is not available in this channel. Ask #ai-help if you think this is wrong.' });
    expect(await check.check(inbound({ user: { id: 'U3' }, channelId: 'C-random' }))).toEqual({ allowed: false, reason: 'access' });

    // Everyone else is still welcome: the default is open.
    expect(await check.check(inbound({ user: { id: 'U4' } }))).toEqual({ allowed: true });
  });

  it('the notice comes again after the hour has passed', async () => {
    const config = governanceConfig({ access: { workspaces: { G1: { denyUsers: ['U1'] } } } });
    const short = createGovernanceGate({ redis, prefix, config, noticeWindowMs: 200 });
    expect(notice(await short.check(inbound()))).toBe('You are not allowed to use the assistant here. Ask a workspace admin if you think this is wrong.');
    expect(notice(await short.check(inbound()))).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(notice(await short.check(inbound()))).toBe('You are not allowed to use the assistant here. Ask a workspace admin if you think this is wrong.');
  });

  it('deny wins over allow; allow lists and DMs narrow who may ask', async () => {
    const { gate: check } = gate({
      access: {
        default: { dms: false },
        workspaces: { G1: { allowGroups: ['R-team'], denyUsers: ['U-team-but-denied'], channels: { 'C-ops': { allowUsers: ['U-ops'] } } } },
      },
    });
    expect(await check.check(inbound({ user: { id: 'U1', groups: ['R-team'] } }))).toEqual({ allowed: true });
    expect(reason(await check.check(inbound({ user: { id: 'U-team-but-denied', groups: ['R-team'] } })))).toBe('access');
    expect(notice(await check.check(inbound({ user: { id: 'U-outsider' } })))).toBe(
      'The assistant is limited to certain people here, and you are not on the list. Ask a workspace admin if you think this is wrong.',
    );
    // The channel's own allow list narrows further: team members who are not on it are refused there.
    expect(reason(await check.check(inbound({ user: { id: 'U1', groups: ['R-team'] }, channelId: 'C-ops' })))).toBe('access');
    expect(await check.check(inbound({ user: { id: 'U-ops', groups: ['R-team'] }, channelId: 'C-ops' }))).toEqual({ allowed: true });
    expect(notice(await check.check(inbound({ user: { id: 'U5', groups: ['R-team'] }, workspaceId: 'dm', channelId: 'D1', isDirect: true })))).toBe(
      'The assistant does not answer direct messages in this workspace. Ask a workspace admin if you think this is wrong.',
    );
  });
});

describe('budgets at the gate', () => {
  it('a user over the daily dollar budget is refused before the job is enqueued and told when it resets', async () => {
    const { gate: check } = gate({ budgets: { user: { dailyUsd: 0.5 } } });
    const ledger = new BudgetLedger({ redis, prefix, now: () => NOW });
    const spent = await ledger.reserve(
      ledger.lines([{ kind: 'user', id: 'discord:G1:U1', limits: { usd: {}, tokens: {} } }]),
      usdToNano(0.5),
      1000,
    );
    expect(spent.ok).toBe(true);

    const refused = await check.check(inbound());
    expect(refused).toEqual({
      allowed: false,
      reason: 'budget',
      notice: 'Your daily budget of $0.50 is used up ($0.00 left). It resets at 00:00 UTC (in 9 h 0 min). Ask a workspace admin if you need more.',
    });
    expect(await check.check(inbound())).toEqual({ allowed: false, reason: 'budget' });
    // Someone else in the same workspace has their own budget.
    expect(await check.check(inbound({ user: { id: 'U2' } }))).toEqual({ allowed: true });
  });

  it('a channel budget refuses everyone in that channel, saying whose budget it is', async () => {
    const { gate: check } = gate({ budgets: { channels: { C1: { monthlyUsd: 1 } } } });
    const ledger = new BudgetLedger({ redis, prefix, now: () => NOW });
    await ledger.reserve(ledger.lines([{ kind: 'channel', id: 'discord:G1:C1', limits: { usd: {}, tokens: {} } }]), usdToNano(1), 0);
    expect(notice(await check.check(inbound({ user: { id: 'U7' } })))).toBe(
      "This channel's monthly budget of $1.00 is used up ($0.00 left). It resets at Jan 1, 00:00 UTC (in 30 days). Ask a workspace admin if you need more.",
    );
    expect(await check.check(inbound({ user: { id: 'U7' }, channelId: 'C2' }))).toEqual({ allowed: true });
  });
});

describe('fairness at the gate', () => {
  it("a burst of 20 from one user does not delay another user's first request", async () => {
    const { gate: check } = gate({ fairness: { requestsPerMinute: 5, maxInFlight: 3 } });
    const burst = await Promise.all(Array.from({ length: 20 }, () => check.check(inbound({ user: { id: 'U-burst' } }))));
    expect(burst.filter((decision) => decision.allowed)).toHaveLength(3);
    const refusals = burst.filter((decision) => !decision.allowed);
    expect(refusals).toHaveLength(17);
    // One notice per reason: the in-flight cap once, the minute's rate once.
    expect(refusals.filter((decision) => !decision.allowed && decision.notice !== undefined).map((decision) => !decision.allowed && decision.reason).sort()).toEqual(['in-flight', 'rate']);

    const started = performance.now();
    const other = await check.check(inbound({ user: { id: 'U-other' } }));
    const tookMs = performance.now() - started;
    expect(other).toEqual({ allowed: true });
    expect(tookMs).toBeLessThan(500);
    // The burst is still held back.
    expect((await check.check(inbound({ user: { id: 'U-burst' } }))).allowed).toBe(false);
  });

  it('a request that was allowed but never enqueued gives its slot back', async () => {
    const governance = createGovernance({ redis, prefix, config: governanceConfig({ fairness: { requestsPerMinute: 0, maxInFlight: 1 } }), listModels: async () => [], log: silentLogger() });
    const first = inbound();
    expect(await governance.gate.check(first)).toEqual({ allowed: true });
    expect((await governance.gate.check(inbound())).allowed).toBe(false);
    await governance.releaseRequest(first);
    expect(await governance.gate.check(inbound())).toEqual({ allowed: true });
  });

  it('a released slot lets the user ask again, and releasing twice frees one slot only', async () => {
    const config = governanceConfig({ fairness: { requestsPerMinute: 0, maxInFlight: 1 } });
    const fairness = new Fairness({ redis, prefix, requestsPerMinute: 0, maxInFlight: 1 });
    const check = createGovernanceGate({ redis, prefix, config });
    const first = inbound();
    expect(await check.check(first)).toEqual({ allowed: true });
    expect(await check.check(inbound())).toMatchObject({ allowed: false, reason: 'in-flight', notice: 'You already have 1 answer in progress; ask again when one finishes.' });
    const user = { platform: 'discord', workspaceId: 'G1', userId: 'U1' };
    await fairness.releaseSlot(user, jobIdFor('discord', first.eventId));
    await fairness.releaseSlot(user, jobIdFor('discord', first.eventId));
    expect(await check.check(inbound())).toEqual({ allowed: true });
    expect(await fairness.inFlight(user)).toBe(1);
    expect((await check.check(inbound())).allowed).toBe(false);
  });
});
