import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCommandService, type CommandService } from '../../src/commands/index.ts';
import type { CommandInvocation } from '../../src/commands/types.ts';
import { createGovernance, parseGovernanceConfig, type Governance } from '../../src/governance/index.ts';
import type { ModelInfo } from '../../src/llm/types.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { SettingsStore } from '../../src/settings/index.ts';
import { ToolCatalog } from '../../src/tools/index.ts';
import { UsageStore } from '../../src/usage/index.ts';
import { inbound } from '../governance/support.ts';
import { recordAnswer } from '../governance/record-answer.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

const MODELS: ModelInfo[] = [{ id: 'openai/gpt-4o', pricing: { inputPerMillion: 2.5, outputPerMillion: 10, cacheReadPerMillion: 1.25 } }];
// 2026-12-01 15:00 UTC.
const NOW = Date.UTC(2026, 11, 1, 15, 0, 0);

let prefix: string;
let redis: Redis;
let governance: Governance;
let usage: UsageStore;
let service: CommandService;

const scope = { platform: 'discord', workspaceId: 'G1', channelId: 'C1', userId: 'U1' };
const invoke = (name: CommandInvocation['name'], args = '', overrides: Partial<CommandInvocation> = {}) =>
  service.runCommand({ ...scope, isAdmin: true, name, args, ...overrides });
const asMember = { isAdmin: false };

beforeEach(() => {
  prefix = newTestPrefix('gov-commands');
  redis = new Redis(testRedisUrl());
  governance = createGovernance({
    redis,
    prefix,
    config: parseGovernanceConfig({ budgets: { user: { dailyUsd: 2, monthlyUsd: 20 } }, fairness: { requestsPerMinute: 0, maxInFlight: 0 } }),
    listModels: async () => MODELS,
    log: silentLogger(),
    now: () => NOW,
  });
  usage = new UsageStore({ redis, prefix, now: () => NOW });
  service = createCommandService({
    settings: new SettingsStore({ redis, prefix }),
    catalog: new ToolCatalog({ sources: [] }),
    listModels: async () => MODELS,
    defaultModel: 'openai/gpt-4o',
    usage,
    governance,
    now: () => NOW,
  });
});

afterEach(async () => {
  redis.disconnect();
  await deleteKeys(prefix);
});

describe('usage with governance', () => {
  it('shows your spend today and this month against your limits, in dollars', async () => {
    // 10,000 in (8,000 cached) + 500 out on gpt-4o = $0.005 + $0.01 + $0.005.
    expect(await recordAnswer(governance, usage, scope, 'openai/gpt-4o', { input: 10_000, output: 500, cached: 8_000 })).toBe(20_000_000);
    const reply = await invoke('usage', '', asMember);
    expect(reply.ephemeral).toBe(true);
    expect(reply.text.split('\n').slice(0, 5)).toEqual([
      '**Your spend** (US dollars)',
      '- Today: $0.02 (of $2.00 daily limit, $1.98 left, resets 00:00 UTC (in 9 h 0 min))',
      '- This month: $0.02 (of $20.00 monthly limit, $19.98 left, resets Jan 1, 00:00 UTC (in 30 days))',
      '**This channel:** today $0.02 · this month $0.02',
      '**This workspace:** today $0.02 · this month $0.02',
    ]);
    expect(reply.text).toContain('- **You:** $0.02, 1 request, 10,000 tokens in (8,000 cached) / 500 out');
  });

  it('admins see the top users and channels for a period; members do not', async () => {
    await recordAnswer(governance, usage, scope, 'openai/gpt-4o', { input: 1_000, output: 100 });
    await recordAnswer(governance, usage, { ...scope, userId: 'U2', channelId: 'C2' }, 'openai/gpt-4o', { input: 4_000, output: 1_000 });
    expect((await invoke('usage', 'top 7d', asMember)).text).toBe('Only admins can see who spent what. `usage` shows your own spend.');
    expect((await invoke('usage', 'top 7d')).text).toBe(
      [
        '**Top users, the last 7 days**',
        '- `U2`: $0.02, 1 request, 4,000 tokens in / 1,000 out',
        '- `U1`: $0.0035, 1 request, 1,000 tokens in / 100 out',
        '',
        '**Top channels, the last 7 days**',
        '- `C2`: $0.02, 1 request, 4,000 tokens in / 1,000 out',
        '- `C1`: $0.0035, 1 request, 1,000 tokens in / 100 out',
      ].join('\n'),
    );
    expect((await invoke('usage', 'top forever')).text).toMatch(/^Unknown period `forever`/);
  });

  it('an admin turns the cost footer on for a channel, and the change is audited', async () => {
    expect((await invoke('usage', 'footer on', asMember)).text).toMatch(/^Only admins can change whether answers show their cost/);
    expect(await invoke('usage', 'footer on')).toEqual({ ephemeral: false, text: 'Answers in this channel now show what they cost in their footer.' });
    expect(await governance.channelOptions.showsCost(scope)).toBe(true);
    const [entry] = await governance.audit.recent({ limit: 1 });
    expect(entry).toMatchObject({ platform: 'discord', workspaceId: 'G1', channelId: 'C1', actor: 'U1', action: 'channel-option', target: 'cost in footer (channel)', before: 'off', after: 'on' });
  });
});

describe('budget', () => {
  it('an admin sets a user limit by mention; the gate then uses it; the change is audited', async () => {
    const reply = await invoke('budget', 'set user <@U9> daily $0.01');
    expect(reply).toEqual({ ephemeral: false, text: 'The daily dollar limit for user U9 is now $0.01.' });
    await recordAnswer(governance, usage, { ...scope, userId: 'U9' }, 'openai/gpt-4o', { input: 4_000, output: 0 });
    expect(await governance.gate.check(inbound({ user: { id: 'U9' } }))).toMatchObject({ allowed: false, reason: 'budget' });
    const [entry] = await governance.audit.recent({ limit: 1 });
    expect(entry).toMatchObject({ action: 'budget', actor: 'U1', target: 'daily dollar limit for user U9', before: '(unset)', after: '$0.01' });

    expect((await invoke('budget', 'reset user U9 daily')).text).toBe("The daily dollar limit for user U9 was reset (the config file's limit, if any, applies again).");
    expect(await governance.gate.check(inbound({ user: { id: 'U9' } }))).toEqual({ allowed: true });
  });

  it('"none" lifts a configured limit; token limits and channel limits are set the same way', async () => {
    await invoke('budget', 'set everyone monthly none');
    await invoke('budget', 'set channel daily 50000 tokens');
    const shown = await invoke('budget', '', asMember);
    expect(shown.text.split('\n').slice(0, 4)).toEqual([
      '**Budgets in force here** (US dollars, UTC days and months)',
      '- You: $2.00 a day',
      '- This channel: 50,000 tokens a day',
      '- This workspace: no limit',
    ]);
    expect((await invoke('budget', 'set user U9 daily lots')).text).toBe('`lots` is not an amount in dollars, e.g. `$2` or `0.50`.');
    expect((await invoke('budget', 'set user U9 daily $1', asMember)).text).toMatch(/^Only admins can change budgets/);
  });
});

describe('access', () => {
  it('an admin denies a user for the workspace: the gate refuses them, the audit trail has before → after', async () => {
    expect(await invoke('access', 'deny user <@U5> --workspace')).toEqual({ ephemeral: false, text: 'Added `U5` to `denyUsers` for the whole workspace.' });
    expect(await governance.gate.check(inbound({ user: { id: 'U5' } }))).toMatchObject({ allowed: false, reason: 'access' });
    await invoke('access', 'deny user U6 --workspace');
    const [latest] = await governance.audit.recent({ limit: 1 });
    expect(latest).toMatchObject({ action: 'access', target: 'denyUsers (workspace)', before: 'U5', after: 'U5, U6' });
    await invoke('access', 'remove deny user U5 --workspace');
    expect(await governance.gate.check(inbound({ user: { id: 'U5' } }))).toEqual({ allowed: true });
    expect((await invoke('access', '', asMember)).text).toBe('**Access rules in force here** (config file and commands together)\n- Workspace: denied users `U6`\n- This channel: open to everyone');
  });

  it('roles (groups), channels and DMs', async () => {
    await invoke('access', 'deny role <@&R1>');
    expect(await governance.gate.check(inbound({ user: { id: 'U7', groups: ['R1'] } }))).toMatchObject({ allowed: false, reason: 'access' });
    await invoke('access', 'dms off --workspace');
    expect(await governance.gate.check(inbound({ channelId: 'C1', isDirect: true }))).toMatchObject({ allowed: false, reason: 'access' });
    expect((await invoke('access', 'allow user', {})).text).toMatch(/^Name at least one user/);
    expect((await invoke('access', 'deny user U1', asMember)).text).toMatch(/^Only admins can change access rules/);
  });
});

describe('audit', () => {
  it('admins read the latest changes of their workspace, including settings changed by command', async () => {
    await invoke('model', 'openai/gpt-4o');
    await invoke('budget', 'set workspace monthly 100');
    await service.runCommand({ ...scope, workspaceId: 'G-other', isAdmin: true, name: 'budget', args: 'set workspace monthly 5' });
    const reply = await invoke('audit', '10');
    expect(reply.text.split('\n')).toEqual([
      '**Audit trail** (newest first, 2)',
      '- 2026-12-01 15:00 UTC · U1 in C1 · budget: monthly dollar limit for the workspace: (unset) → $100.00',
      '- 2026-12-01 15:00 UTC · U1 in C1 · settings: model (channel): (unset) → openai/gpt-4o',
    ]);
    expect((await invoke('audit', '', asMember)).text).toBe('Only admins can read the audit trail.');
  });
});
