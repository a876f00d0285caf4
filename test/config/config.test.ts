import { describe, expect, it } from 'vitest';
import { assertRoleConfig, ConfigError, loadConfig, redactConfig, secretValues } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';

const noFile = '/nonexistent/.env';

describe('configuration', () => {
  it('fills every default from an empty environment', () => {
    const config = loadConfig({}, noFile);
    expect(config.OFOX_BASE_URL).toBe('https://api.ofox.ai/v1');
    expect(config.OFOX_ANTHROPIC_BASE_URL).toBe('https://api.ofox.ai/anthropic');
    expect(config.OFOX_MODEL).toBe('openai/gpt-4o');
    expect(config.OFOX_PROTOCOL).toBe('auto');
    expect(config.SLACK_COMMAND).toBe('/ofox');
  });

  it('lists every invalid variable at once', () => {
    try {
      loadConfig({ OFOX_PROTOCOL: 'grpc', WORKER_CONCURRENCY: 'lots', OFOX_BASE_URL: 'not a url' }, noFile);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      const message = (error as ConfigError).message;
      expect(message).toContain('OFOX_PROTOCOL');
      expect(message).toContain('WORKER_CONCURRENCY');
      expect(message).toContain('OFOX_BASE_URL');
    }
  });

  it('lists every missing variable a role needs at once', () => {
    const config = loadConfig({ SLACK_BOT_TOKEN: 'xoxb-1' }, noFile);
    try {
      assertRoleConfig(config, 'start');
      expect.unreachable();
    } catch (error) {
      const problems = (error as ConfigError).problems.join('\n');
      expect(problems).toContain('OFOX_API_KEY');
      expect(problems).toContain('SLACK_SIGNING_SECRET');
    }
  });

  it('redacts secrets wherever config is printed, including a Redis password', () => {
    const config = loadConfig({ OFOX_API_KEY: 'sk-very-secret', DISCORD_TOKEN: 'discord-secret', REDIS_URL: 'redis://:hunter22@redis:6379' }, noFile);
    const printed = JSON.stringify(redactConfig(config));
    expect(printed).not.toContain('sk-very-secret');
    expect(printed).not.toContain('discord-secret');
    expect(printed).not.toContain('hunter22');
    expect(secretValues(config)).toEqual(expect.arrayContaining(['sk-very-secret', 'discord-secret', 'hunter22']));
  });

  it('the logger scrubs secret values from every line, whatever field they hide in', async () => {
    const lines: string[] = [];
    const log = createLogger({ secrets: ['sk-very-secret'], destination: { write: (line: string) => lines.push(line) } });
    log.error({ err: new Error('upstream said: bad key sk-very-secret'), nested: { value: 'sk-very-secret' } }, 'failure with sk-very-secret');
    expect(lines.join('')).not.toContain('sk-very-secret');
    expect(lines.join('')).toContain('[redacted]');
  });

  it('the logger scrubs Discord interaction and webhook tokens from URLs', () => {
    const lines: string[] = [];
    const log = createLogger({ destination: { write: (line: string) => lines.push(line) } });
    const token = 'aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OmFiY2RlZg';
    log.warn({ url: `https://discord.com/api/v10/webhooks/1234567890/${token}/messages/@original`, majorParameter: `1234567890/${token}` }, `PATCH /interactions/987654321/${token}/callback failed`);
    expect(lines.join('')).not.toContain(token);
    expect(lines.join('')).toContain('webhooks/1234567890/[redacted]');
  });
});
