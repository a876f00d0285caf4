import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { assertRoleConfig, ConfigError, loadConfig, optionalString, redactConfig, secretValues } from '../../src/config.ts';
import { PLATFORMS, platformsFor, platformUsageLines } from '../../src/cli/platforms.ts';
import type { PlatformDescriptor } from '../../src/runtime/platform.ts';

const noFile = '/nonexistent/.env';

/** A platform that exists only in this test: one folder's worth of descriptor. */
const telegram: PlatformDescriptor = {
  name: 'telegram',
  configShape: { TELEGRAM_BOT_TOKEN: optionalString, TELEGRAM_POLL_MS: z.coerce.number().int().min(100).default(1_000) },
  secretKeys: ['TELEGRAM_BOT_TOKEN'],
  keyVariable: 'TELEGRAM_BOT_TOKEN',
  roles: ['start', 'gateway', 'worker'],
  enabled: (config) => Boolean((config as Record<string, unknown>).TELEGRAM_BOT_TOKEN),
  configProblems: () => [],
  doctorChecks: async () => [],
  commandHelp: ['  telegram-webhook    point Telegram at this bot'],
};

describe('the platform registry drives the configuration', () => {
  it('lists discord, slack and the terminal', () => {
    expect(PLATFORMS.map((platform) => platform.name).sort()).toEqual(['discord', 'slack', 'terminal']);
  });

  it('a platform added to the list contributes its variables, with their defaults and validation', () => {
    const platforms = [...PLATFORMS, telegram];
    const config = loadConfig({ TELEGRAM_BOT_TOKEN: 'tg-secret-123' }, noFile, platforms) as Record<string, unknown>;
    expect(config.TELEGRAM_BOT_TOKEN).toBe('tg-secret-123');
    expect(config.TELEGRAM_POLL_MS).toBe(1_000);
    expect(() => loadConfig({ TELEGRAM_POLL_MS: '5' }, noFile, platforms)).toThrow(/TELEGRAM_POLL_MS/);
    // Without it in the list, the variable is not part of the configuration.
    expect((loadConfig({ TELEGRAM_BOT_TOKEN: 'tg-secret-123' }, noFile, PLATFORMS) as Record<string, unknown>).TELEGRAM_BOT_TOKEN).toBeUndefined();
  });

  it("a platform's secret keys are redacted and scrubbed", () => {
    const platforms = [...PLATFORMS, telegram];
    const config = loadConfig({ TELEGRAM_BOT_TOKEN: 'tg-secret-123', SLACK_BOT_TOKEN: 'xoxb-secret' }, noFile, platforms);
    const printed = redactConfig(config, platforms);
    expect(printed.TELEGRAM_BOT_TOKEN).toBe('[redacted]');
    expect(printed.SLACK_BOT_TOKEN).toBe('[redacted]');
    expect(JSON.stringify(printed)).not.toContain('tg-secret-123');
    expect(secretValues(config, platforms).sort()).toEqual(['tg-secret-123', 'xoxb-secret']);
  });

  it('a platform enabled on its own satisfies the long-running roles', () => {
    const platforms = [...PLATFORMS, telegram];
    const config = loadConfig({ OFOX_API_KEY: 'sk-1', TELEGRAM_BOT_TOKEN: 'tg' }, noFile, platforms);
    expect(() => assertRoleConfig(config, 'worker', platforms)).not.toThrow();
    expect(platformsFor(config, 'gateway', platforms).map((platform) => platform.name)).toEqual(['telegram']);
    expect(platformUsageLines(platforms)).toContain('  telegram-webhook    point Telegram at this bot');
  });

  it('with no platform configured, the roles name every way to configure one', () => {
    const config = loadConfig({ OFOX_API_KEY: 'sk-1' }, noFile, [...PLATFORMS, telegram]);
    try {
      assertRoleConfig(config, 'gateway', [...PLATFORMS, telegram]);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).problems).toEqual(['DISCORD_TOKEN or SLACK_BOT_TOKEN or TELEGRAM_BOT_TOKEN: configure at least one platform']);
    }
  });

  it('two platforms declaring one variable is refused at once', () => {
    const clash: PlatformDescriptor = { ...telegram, name: 'clash', configShape: { SLACK_BOT_TOKEN: optionalString } };
    expect(() => loadConfig({}, noFile, [...PLATFORMS, clash])).toThrow('config variable SLACK_BOT_TOKEN is declared twice (platform clash)');
  });
});
