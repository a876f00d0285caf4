import { configSchema, type Config } from '../../../src/config.ts';
import type { FakeDiscord } from '../../fakes/discord/index.ts';

/** A Config pointing the Discord adapter at the fake. */
export function discordConfig(fake: FakeDiscord, redisUrl: string, prefix: string, overrides: Record<string, string> = {}): Config {
  return configSchema.parse({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: prefix,
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_URL: fake.apiUrl,
    ...overrides,
  });
}
