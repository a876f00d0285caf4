import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GOVERNANCE_DEFAULTS, GovernanceConfigError, parseGovernanceConfig } from '../../src/governance/index.ts';
import { parseToolsConfig } from '../../src/tools/tools-config.ts';
import { loadConfig } from '../../src/config.ts';

const EXAMPLE = resolve(import.meta.dirname, '../../ofox-bot.config.example.yaml');

describe('the governance section of the config file', () => {
  it('the example file parses, ids as strings and limits in dollars', () => {
    const file = parseToolsConfig(readFileSync(EXAMPLE, 'utf8'), { file: EXAMPLE, env: { GITHUB_TOKEN: 'x', DOCS_SEARCH_TOKEN: 'y' } });
    const config = parseGovernanceConfig(file.governance);
    expect(config.contact).toBe('#ai-help');
    expect(config.access.workspaces['123456789012345678']?.denyUsers).toEqual(['222222222222222222']);
    expect(config.access.workspaces['123456789012345678']?.channels['666666666666666666']?.allowUsers).toEqual(['777777777777777777']);
    expect(config.budgets.user).toEqual({ dailyUsd: 2, monthlyUsd: 20 });
    expect(config.budgets.users['222222222222222222']).toEqual({ dailyUsd: 10 });
    expect(config.fairness).toEqual({ requestsPerMinute: 20, maxInFlight: 3 });
  });

  it('no section means open access, no budgets and the default fairness', () => {
    const config = parseGovernanceConfig(undefined);
    expect(config.access).toEqual({ workspaces: {} });
    expect(config.budgets).toEqual({ users: {}, channels: {}, workspaces: {} });
    expect(config.fairness).toEqual({ requestsPerMinute: GOVERNANCE_DEFAULTS.requestsPerMinute, maxInFlight: GOVERNANCE_DEFAULTS.maxInFlight });
  });

  it('environment variables override the fairness numbers, and bad values are named', () => {
    expect(parseGovernanceConfig({ fairness: { requestsPerMinute: 5 } }, { requestsPerMinute: 12, maxInFlight: 0 }).fairness).toEqual({ requestsPerMinute: 12, maxInFlight: 0 });
    const env = loadConfig({ GOVERNANCE_REQUESTS_PER_MINUTE: '12', GOVERNANCE_MAX_IN_FLIGHT: '0' }, '/nonexistent/.env');
    expect([env.GOVERNANCE_REQUESTS_PER_MINUTE, env.GOVERNANCE_MAX_IN_FLIGHT]).toEqual([12, 0]);
    expect(() => loadConfig({ GOVERNANCE_MAX_IN_FLIGHT: 'lots' }, '/nonexistent/.env')).toThrow('GOVERNANCE_MAX_IN_FLIGHT: expected a whole number');
    expect(() => parseGovernanceConfig({ budgets: { user: { dailyUsd: -1 } }, access: { workspaces: { G: { denyUser: ['x'] } } } })).toThrow(GovernanceConfigError);
    expect(() => parseGovernanceConfig({ budgets: { user: { dailyUsd: -1 } } })).toThrow(
      new GovernanceConfigError('The governance config is invalid:\n- governance.budgets.user.dailyUsd: Too small: expected number to be >=0'),
    );
  });
});
