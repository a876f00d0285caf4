import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { startHealthServer } from '../observability/health-server.ts';
import { createAdminQueuesHandler } from '../observability/admin-queues.ts';
import { startTracing } from '../observability/tracing.ts';
import type { Inbound } from '../ingress/inbound.ts';
import { createCore } from '../runtime/core.ts';
import type { ClosablePorts, StartedIngress } from '../runtime/platform.ts';
import { startWorkerRole } from '../runtime/worker-role.ts';
import { platformNamed, platformsFor } from './platforms.ts';
import { onShutdownSignal } from './shutdown.ts';

/** The composition root for the long-running roles: the core plus whichever registered platforms are configured. */

export async function runRole(role: 'start' | 'gateway' | 'worker', config: Config, log: Logger, env: Record<string, string | undefined>): Promise<void> {
  // Before the core: its queue and the workers pick up BullMQ's telemetry when tracing is on.
  const tracing = startTracing({ endpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT, role });
  const core = await createCore({
    config,
    log,
    env,
    helpFor: (name) => platformNamed(name)?.chatHelpText?.(),
    // Gateways post placeholders only when the platform's write budgets have room to spare.
    ...(role === 'worker' ? {} : { placeholderRequest: (inbound: Inbound) => platformNamed(inbound.platform)?.placeholderRequest?.(inbound) }),
  });
  const platforms = platformsFor(config, role);
  const ingress: StartedIngress[] = [];
  if (role !== 'worker') {
    for (const platform of platforms) if (platform.startIngress) ingress.push(await platform.startIngress(core));
  }
  const ports: ClosablePorts[] = role === 'gateway' ? [] : platforms.flatMap((platform) => (platform.createPorts ? [platform.createPorts(core)] : []));
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
  log.info({ role, platforms: platforms.map((platform) => platform.name) }, 'ofox-bot is running');

  onShutdownSignal(log, async () => {
    // Requests waiting for Redis first: they run if Redis answers within the drain time, the rest
    // are told to ask again. This comes before the platform clients stop, because stopping them
    // also ends their REST access (discord.js drops its token), and an event Discord delivers
    // meanwhile is still answered or refused readably instead of being lost with the session.
    await core.ingress.outbox?.close(config.INGRESS_OUTBOX_DRAIN_MS);
    // Then stop listening so nothing new arrives, and let running answers finish.
    for (const started of ingress) await started.stop().catch((error: unknown) => log.warn({ err: error }, 'ingress did not stop cleanly'));
    await workers?.stop(config.SHUTDOWN_GRACE_MS);
    for (const port of ports) await port.close().catch(() => {});
    health?.close();
    await core.close();
    await tracing?.shutdown();
  });
}
