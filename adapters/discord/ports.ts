import { RESTEvents, Routes } from 'discord.js';
import type { Redis } from 'ioredis';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { transportPacer } from '../../src/render/transport-pacer.ts';
import type { WritePacer } from '../../src/render/write-budget.ts';
import type { PlatformPorts } from '../../src/worker/ports.ts';
import { DiscordApprovalSurface } from './approvals.ts';
import { DiscordConversationReader, discordFileOrigins } from './context.ts';
import { DiscordFileUploader } from './file-uploads.ts';
import { InteractionTokenStore } from './interaction-tokens.ts';
import { DiscordMessages } from './messages.ts';
import { RateLimitObserver } from './rate-limit-observer.ts';
import { createDiscordRest } from './rest.ts';
import { DEFAULT_DISCORD_LIMITS, DiscordSurface, type DiscordSurfaceLimits } from './surface.ts';

/** What the worker role needs from Discord (REST only, no gateway): surfaces, the conversation reader, approval buttons. */

export interface DiscordPortsOptions {
  /** Where the gateway left interaction tokens. */
  redis: Pick<Redis, 'get' | 'set' | 'del'>;
  /** @defaultValue config.REDIS_KEY_PREFIX */
  keyPrefix?: string;
  /** @defaultValue DEFAULT_DISCORD_LIMITS */
  limits?: Partial<DiscordSurfaceLimits>;
  /**
   * The pacer approval prompts and files draw from, the renderer's own so they share the channel's
   * budget with the answers. @defaultValue the process's shared pacer (`shareTransportPacer`)
   */
  pacer?: WritePacer;
}

export type DiscordPorts = PlatformPorts & { close(): Promise<void> };

export function createDiscordPorts(
  config: Pick<Config, 'DISCORD_TOKEN' | 'DISCORD_APPLICATION_ID' | 'DISCORD_API_URL' | 'REDIS_KEY_PREFIX' | 'FETCH_URL_ALLOWLIST'>,
  baseLog: Logger,
  options: DiscordPortsOptions,
): DiscordPorts {
  if (!config.DISCORD_TOKEN || !config.DISCORD_APPLICATION_ID) throw new Error('DISCORD_TOKEN and DISCORD_APPLICATION_ID are required for the Discord worker');
  const log = baseLog.child({ platform: 'discord' });
  const rest = createDiscordRest(config);
  const rateLimits = new RateLimitObserver(rest);
  rest.on(RESTEvents.RateLimited, (info) => {
    log.debug({ route: info.route, majorParameter: info.majorParameter, retryAfterMs: info.retryAfter, global: info.global, limit: info.limit }, 'discord rate limit');
  });
  const tokens = new InteractionTokenStore({ redis: options.redis, prefix: options.keyPrefix ?? config.REDIS_KEY_PREFIX });
  const messages = new DiscordMessages({ rest, applicationId: config.DISCORD_APPLICATION_ID, tokens });
  const limits = { ...DEFAULT_DISCORD_LIMITS, ...options.limits };
  const pacing = {
    pacer: () => options.pacer ?? transportPacer(),
    rateLimits,
    defaults: { limit: limits.channelEditsPerWindow, windowMs: limits.channelWindowMs },
  };
  let botUser: Promise<string> | undefined;
  const botUserId = (): Promise<string> => {
    botUser ??= (rest.get(Routes.user('@me')) as Promise<{ id: string }>).then(
      (user) => user.id,
      (error: unknown) => {
        botUser = undefined;
        throw error;
      },
    );
    return botUser;
  };
  return {
    platform: 'discord',
    surfaceFor: (job) => new DiscordSurface(job, { messages, rateLimits, log, limits }),
    conversation: new DiscordConversationReader({ rest, log, botUserId, fileOrigins: discordFileOrigins(config.DISCORD_API_URL), addressAllowlist: config.FETCH_URL_ALLOWLIST }),
    approvals: new DiscordApprovalSurface(messages, pacing),
    files: new DiscordFileUploader(rest, pacing),
    async close() {
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    },
  };
}
