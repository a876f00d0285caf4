import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDiscordPorts, startDiscordIngress, type DiscordIngress, type DiscordPorts, type DiscordSurfaceLimits } from '../../../adapters/discord/index.ts';
import { silentLogger } from '../../../src/observability/index.ts';
import { FakeDiscord, type FakeDiscordOptions } from '../../fakes/discord/index.ts';
import { startPipeline, type Pipeline } from '../../helpers/pipeline.ts';
import { discordPlatform } from '../../../adapters/discord/platform.ts';

/**
 * Everything real but the two outside services: the fake Discord (REST + gateway) and the fake
 * OfoxAI. discord.js ingress → IngressServices → BullMQ on Redis → worker → Discord surface.
 */

export interface DiscordStack {
  fake: FakeDiscord;
  pipeline: Pipeline;
  ingress: DiscordIngress;
  ports: DiscordPorts;
  stop(): Promise<void>;
}

export interface DiscordStackOptions {
  fake?: FakeDiscordOptions;
  limits?: Partial<DiscordSurfaceLimits>;
  env?: Record<string, string>;
  /** Tools config file contents (JSON), written to a temp file and named in OFOX_BOT_CONFIG. */
  toolsConfig?: Record<string, unknown>;
  /** Placeholders paced as in production (the registry's `placeholderRequest`); @defaultValue unpaced, always posted */
  pacedPlaceholders?: boolean;
}

export async function startDiscordStack(options: DiscordStackOptions = {}): Promise<DiscordStack> {
  const fake = await FakeDiscord.start(options.fake);
  const env: Record<string, string> = {
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: fake.applicationId,
    DISCORD_API_URL: fake.apiUrl,
    ...options.env,
  };
  if (options.toolsConfig) {
    const path = join(mkdtempSync(join(tmpdir(), 'ofox-discord-')), 'ofox-bot.config.json');
    writeFileSync(path, JSON.stringify(options.toolsConfig));
    env.OFOX_BOT_CONFIG = path;
  }
  let ports: DiscordPorts | undefined;
  const pipeline = await startPipeline({
    env,
    ...(options.pacedPlaceholders ? { placeholderRequest: discordPlatform.placeholderRequest } : {}),
    ports: (core) => {
      ports = createDiscordPorts(core.config, silentLogger(), { redis: core.redis, ...(options.limits ? { limits: options.limits } : {}) });
      return [ports];
    },
  });
  const ingress = await startDiscordIngress(pipeline.config, pipeline.services, silentLogger(), { redis: pipeline.core.redis });
  const built = ports as DiscordPorts | undefined;
  if (!built) throw new Error('the pipeline did not build the Discord ports');
  return {
    fake,
    pipeline,
    ingress,
    ports: built,
    async stop() {
      await ingress.stop();
      await pipeline.stop();
      await built.close();
      await fake.stop();
    },
  };
}
