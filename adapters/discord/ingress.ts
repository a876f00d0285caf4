import { Client, Events, GatewayIntentBits, Partials, SimpleShardingStrategy, type ClientOptions } from 'discord.js';
import type { Redis } from 'ioredis';
import type { Config } from '../../src/config.ts';
import { createIngressPipeline, type IngressServices } from '../../src/ingress/index.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { registerFeedbackReactions } from './feedback-reactions.ts';
import { NO_PINGS, type IngressContext } from './ingress-context.ts';
import { onInteraction } from './interactions.ts';
import { InteractionTokenStore } from './interaction-tokens.ts';
import { onMessage } from './message-events.ts';
import { discordRestOptions, paceEveryRequest } from './rest.ts';
import { discordShardOptions, sharedIdentifyThrottler } from './sharding.ts';

/**
 * The gateway role: a discord.js client with only the intents it needs, turning messages and
 * interactions into jobs. A failing handler logs one structured line; nothing crashes the client.
 */

export interface DiscordIngressOptions {
  /** Where interaction tokens are kept for the worker (never in job data). */
  redis: Pick<Redis, 'get' | 'set' | 'del'>;
  /** @defaultValue config.REDIS_KEY_PREFIX */
  keyPrefix?: string;
  /** Extra discord.js client options (tests shorten timeouts). */
  clientOptions?: Partial<ClientOptions>;
  /** How long to wait for READY and every guild. @defaultValue 30_000 */
  readyTimeoutMs?: number;
  /** A settings command slower than this is deferred first (Discord allows 3 s). @defaultValue 2_000 */
  commandReplyBudgetMs?: number;
}

export interface DiscordIngress {
  client: Client;
  stop(): Promise<void>;
}

export async function startDiscordIngress(config: Config, services: IngressServices, baseLog: Logger, options: DiscordIngressOptions): Promise<DiscordIngress> {
  if (!config.DISCORD_TOKEN) throw new Error('DISCORD_TOKEN is required for the Discord gateway');
  const log = baseLog.child({ platform: 'discord' });
  const client = new Client({
    intents: [
      GatewayIntentBits.Guilds,
      GatewayIntentBits.GuildMessages,
      GatewayIntentBits.MessageContent,
      GatewayIntentBits.DirectMessages,
      // 👍 / 👎 on answers (feedback-reactions.ts).
      GatewayIntentBits.GuildMessageReactions,
      GatewayIntentBits.DirectMessageReactions,
    ],
    // DM channels are not cached before their first message arrives; the answers people react to
    // were posted by workers, so neither they nor their reactions are cached here.
    partials: [Partials.Channel, Partials.Message, Partials.Reaction, Partials.User],
    rest: discordRestOptions(config),
    allowedMentions: NO_PINGS,
    ws: {
      // Plain JSON frames: discord.js would switch to zlib-stream whenever zlib-sync happens to be installed.
      buildStrategy: (manager) => {
        manager.options.compression = null;
        return new SimpleShardingStrategy(manager);
      },
      // Identifies spaced by max_concurrency across every gateway process, not just this one.
      buildIdentifyThrottler: sharedIdentifyThrottler(options.redis, options.keyPrefix ?? config.REDIS_KEY_PREFIX),
    },
    // DISCORD_SHARD_COUNT / DISCORD_SHARD_IDS: which shards this gateway process holds.
    ...(await discordShardOptions(config)),
    ...options.clientOptions,
  });
  // The gateway's requests (placeholders, replies, context reads) share the bot-wide 50/s with the workers'.
  paceEveryRequest(client.rest);
  const context: IngressContext = {
    config,
    services,
    pipeline: createIngressPipeline({ services }),
    log,
    tokens: new InteractionTokenStore({ redis: options.redis, prefix: options.keyPrefix ?? config.REDIS_KEY_PREFIX }),
    client,
    commandReplyBudgetMs: options.commandReplyBudgetMs ?? 2_000,
  };

  client.on(Events.MessageCreate, (message) => {
    onMessage(context, message).catch((error: unknown) => log.error({ err: error, messageId: message.id }, 'discord message handling failed'));
  });
  client.on(Events.InteractionCreate, (interaction) => {
    onInteraction(context, interaction).catch((error: unknown) => log.error({ err: error, interactionId: interaction.id }, 'discord interaction handling failed'));
  });
  registerFeedbackReactions(client, services, log);
  client.on(Events.Error, (error) => log.error({ err: error }, 'discord client error'));
  client.on(Events.ShardError, (error, shardId) => log.warn({ err: error, shardId }, 'discord gateway connection error'));
  client.on(Events.Warn, (message) => log.warn({ discord: message }, 'discord client warning'));

  let readyTimer: NodeJS.Timeout | undefined;
  const ready = new Promise<void>((resolve, reject) => {
    readyTimer = setTimeout(() => reject(new Error('Discord gateway did not become ready in time')), options.readyTimeoutMs ?? 30_000);
    client.once(Events.ClientReady, () => resolve());
  });
  ready.catch(() => {}); // awaited below; a login failure must not leave it unhandled
  try {
    await client.login(config.DISCORD_TOKEN);
    await ready;
  } catch (error) {
    await client.destroy();
    throw error;
  } finally {
    clearTimeout(readyTimer);
  }
  log.info({ user: client.user?.id, guilds: client.guilds.cache.size }, 'discord gateway ready');
  return {
    client,
    async stop() {
      await client.destroy();
    },
  };
}
