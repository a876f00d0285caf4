import { CancelListener } from '../queue/cancel-bus.ts';
import { chatJobSchema } from '../queue/chat-job.ts';
import { RedisChannelPacer, shareTransportPacer } from '../render/index.ts';
import { createAnswerTools } from '../worker/answer-tools.ts';
import { createChatProcessor } from '../worker/processor.ts';
import type { PlatformPorts } from '../worker/ports.ts';
import { RequestBudget } from '../worker/request-budget.ts';
import { WorkerPool } from '../worker/worker-pool.ts';
import type { Core } from './core.ts';

const FAILED_FOR_GOOD_TEXT = '_⚠️ error: this answer could not be completed (the workers handling it kept stopping). Please ask again._';

export interface WorkerRole {
  pool: WorkerPool;
  /** Graceful: no new jobs; running answers get `graceMs`, then are handed back to the queue. */
  stop(graceMs?: number): Promise<void>;
}

export interface WorkerRoleOptions {
  /** Overrides for tests and benchmarks. */
  instances?: number;
  concurrency?: number;
  lockDurationMs?: number;
}

/** Starts BullMQ workers that answer jobs for the given platforms. */
export async function startWorkerRole(core: Core, platforms: PlatformPorts[], options: WorkerRoleOptions = {}): Promise<WorkerRole> {
  const { config } = core;
  const log = core.log.child({ role: 'worker' });
  const prefix = config.REDIS_KEY_PREFIX;
  const cancels = new CancelListener({ subscriber: core.connect('subscriber'), client: core.redis, prefix });
  await cancels.start();
  const shutdown = new AbortController();
  // Its own connection: the pacer sits on the first-token path and must not queue behind other commands.
  const pacer = new RedisChannelPacer({ redis: core.connect('client'), prefix, log });
  shareTransportPacer(pacer);
  const processor = createChatProcessor({
    llm: core.llm,
    platforms: new Map(platforms.map((ports) => [ports.platform, ports])),
    settings: core.settings,
    tools: createAnswerTools({ catalog: core.tools.catalog, approvals: core.approvals, log }),
    pacer,
    cancels,
    budget: new RequestBudget({ redis: core.redis, prefix, requestsPerMinute: config.OFOX_REQUESTS_PER_MINUTE }),
    usage: core.usage,
    shutdownSignal: shutdown.signal,
    log,
    defaults: {
      model: config.OFOX_MODEL,
      maxRounds: config.MAX_TOOL_ROUNDS,
      contextTokenBudget: config.CONTEXT_TOKEN_BUDGET,
      attachmentTextMaxBytes: config.ATTACHMENT_TEXT_MAX_BYTES,
      maxOutputTokens: config.OFOX_MAX_OUTPUT_TOKENS,
      fallbackModels: config.OFOX_FALLBACK_MODELS,
    },
  });
  const byPlatform = new Map(platforms.map((ports) => [ports.platform, ports]));
  const pool = new WorkerPool({
    processor,
    onFailedForGood: async (job) => {
      const parsed = chatJobSchema.safeParse(job.data);
      const ports = parsed.success ? byPlatform.get(parsed.data.platform) : undefined;
      if (!parsed.success || !ports || !parsed.data.placeholder) return;
      await ports.surfaceFor(parsed.data).edit(parsed.data.placeholder, FAILED_FOR_GOOD_TEXT, { final: true, controls: { kind: 'none' } });
    },
    connect: () => core.connect('worker'),
    prefix,
    instances: options.instances ?? config.WORKER_INSTANCES,
    concurrency: options.concurrency ?? config.WORKER_CONCURRENCY,
    lockDurationMs: options.lockDurationMs ?? config.JOB_LOCK_MS,
    log,
  });
  pool.start();
  await pool.waitUntilReady();
  log.info({ instances: pool.workers.length, platforms: platforms.map((ports) => ports.platform) }, 'workers ready');

  return {
    pool,
    async stop(graceMs = config.SHUTDOWN_GRACE_MS) {
      await pool.stop(graceMs, () => shutdown.abort(new Error('shutting down')));
      await cancels.close();
    },
  };
}
