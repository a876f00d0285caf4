import type { Config } from '../config.ts';
import { discordEnabled, slackEnabled } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { startHealthServer } from '../observability/health-server.ts';
import { createAdminQueuesHandler } from '../observability/admin-queues.ts';
import { startTracing } from '../observability/tracing.ts';
import { createCore, type Core } from '../runtime/core.ts';
import { startWorkerRole } from '../runtime/worker-role.ts';
import type { PlatformPorts } from '../worker/ports.ts';
import { createDiscordPorts, startDiscordIngress } from '../../adapters/discord/index.ts';
import { createSlackPorts, startSlackIngress, RedisAnsweredThreads, RedisStreamStateStore } from '../../adapters/slack/index.ts';
import { onShutdownSignal } from './shutdown.ts';

/** The composition root for the long-running roles: the core plus whichever platforms are configured. */

interface Stoppable {
  stop(): Promise<void>;
  /** The platform connection is up (a gateway whose Discord session died is not ready). */
  ready?(): boolean;
}

function platformPorts(core: Core): Array<PlatformPorts & { close(): Promise<void> }> {
  const { config, log } = core;
  const ports: Array<PlatformPorts & { close(): Promise<void> }> = [];
  if (discordEnabled(config)) ports.push(createDiscordPorts(config, log, { redis: core.redis }));
  if (slackEnabled(config)) {
    ports.push(createSlackPorts(config, log, { streamStates: new RedisStreamStateStore(core.redis, { prefix: config.REDIS_KEY_PREFIX }) }));
  }
  return ports;
}

async function startIngress(core: Core): Promise<Stoppable[]> {
  const { config, log } = core;
  const started: Stoppable[] = [];
  if (discordEnabled(config)) {
    const discord = await startDiscordIngress(config, core.ingress, log, { redis: core.redis });
    started.push({ stop: () => discord.stop(), ready: () => discord.client.isReady() });
  }
  if (slackEnabled(config)) {
    started.push(
      await startSlackIngress(config, core.ingress, log, {
        answeredThreads: new RedisAnsweredThreads(core.redis, { prefix: config.REDIS_KEY_PREFIX }),
      }),
    );
  }
  return started;
}

export async function runRole(role: 'start' | 'gateway' | 'worker', config: Config, log: Logger, env: Record<string, string | undefined>): Promise<void> {
  // Before the core: its queue and the workers pick up BullMQ's telemetry when tracing is on.
  const tracing = startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, role });
  const core = await createCore({ config, log, env });
  const ingress = role === 'worker' ? [] : await startIngress(core);
  const ports = role === 'gateway' ? [] : platformPorts(core);
  const workers = role === 'gateway' ? undefined : await startWorkerRole(core, ports);
  const health =
    config.HEALTH_PORT > 0
      ? await startHealthServer({
          port: config.HEALTH_PORT,
          log,
          ready: async () => ingress.every((started) => started.ready?.() ?? true) && (await core.redis.ping()) === 'PONG',
          adminQueues: config.ADMIN_TOKEN ? createAdminQueuesHandler({ token: config.ADMIN_TOKEN, queues: [core.producer.queue] }) : undefined,
        })
      : undefined;
  log.info({ role, discord: discordEnabled(config), slack: slackEnabled(config) }, 'ofox-bot is running');

  onShutdownSignal(log, async () => {
    // Stop listening first so nothing new arrives, then let running answers finish.
    for (const started of ingress) await started.stop().catch((error: unknown) => log.warn({ err: error }, 'ingress did not stop cleanly'));
    await workers?.stop(config.SHUTDOWN_GRACE_MS);
    for (const port of ports) await port.close().catch(() => {});
    health?.close();
    await core.close();
    await tracing?.shutdown();
  });
}
