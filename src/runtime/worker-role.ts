import { createMetricsRecorder, observeBudget, observePacer, observePlatform, observeProcessor, observeSpend } from '../observability/index.ts';
import { bullmqTelemetry } from '../observability/tracing.ts';
import { CancelListener } from '../queue/cancel-bus.ts';
import { chatJobSchema, jobIdFor } from '../queue/chat-job.ts';
import { budgetsFromLimits, pacedWrite, RedisWritePacer, shareTransportPacer } from '../render/index.ts';
import { createAnswerTools } from '../worker/answer-tools.ts';
import { createChatProcessor } from '../worker/processor.ts';
import { RedisReasoningFileLedger } from '../worker/reasoning-file.ts';
import type { PlatformPorts } from '../worker/ports.ts';
import { fencePorts } from '../worker/lease-fence.ts';
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
  // Metrics subscribe at the seams (surfaces, pacer, budget, tools, the processor); the hot paths import none.
  const metrics = createMetricsRecorder();
  // Its own connection: the pacer sits on the first-token path and must not queue behind other commands.
  const pacer = observePacer(new RedisWritePacer({ redis: core.connect('client'), prefix, log }), metrics.renderHooks);
  // The Discord REST client draws every request (reads too) from the bot-wide budget through it.
  shareTransportPacer(pacer);
  const processor = createChatProcessor({
    llm: core.llm,
    // Every write checks the job's lock first (a worker that lost it never writes again); metrics count what is written.
    platforms: new Map(platforms.map((ports) => [ports.platform, observePlatform(fencePorts(ports), metrics)])),
    settings: core.settings,
    tools: createAnswerTools({ catalog: core.tools.catalog, approvals: core.approvals, log, ...metrics.toolHooks }),
    pacer,
    cancels,
    budget: observeBudget(new RequestBudget({ redis: core.redis, prefix, requestsPerMinute: config.OFOX_REQUESTS_PER_MINUTE }), metrics.llmHooks),
    usage: core.usage,
    governance: observeSpend(core.governance.answers, metrics.answerHooks),
    answers: core.feedback,
    reasoningFiles: new RedisReasoningFileLedger({ redis: core.redis, prefix }),
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
    processor: observeProcessor(processor, { log }),
    onFailedForGood: async (job) => {
      const parsed = chatJobSchema.safeParse(job.data);
      if (parsed.success) await core.governance.answers.jobEnded(parsed.data, job.id ?? jobIdFor(parsed.data.platform, parsed.data.eventId)).catch((error: unknown) => log.warn({ err: error }, 'in-flight slot not released'));
      const ports = parsed.success ? byPlatform.get(parsed.data.platform) : undefined;
      if (!parsed.success || !ports || !parsed.data.placeholder) return;
      const surface = ports.surfaceFor(parsed.data);
      const placeholder = parsed.data.placeholder;
      // A final write of the answer's message, drawn from the budgets the renderer's edit of it would use.
      const budgets = surface.budgetsFor ? surface.budgetsFor({ kind: 'edit', ref: placeholder, final: true }) : budgetsFromLimits(surface.channelKey, surface.limits);
      await pacedWrite({ pacer, budgets, writeClass: 'final', what: 'the failure notice' }, () => surface.edit(placeholder, FAILED_FOR_GOOD_TEXT, { final: true, controls: { kind: 'none' } }));
    },
    connect: () => core.connect('worker'),
    prefix,
    instances: options.instances ?? config.WORKER_INSTANCES,
    concurrency: options.concurrency ?? config.WORKER_CONCURRENCY,
    lockDurationMs: options.lockDurationMs ?? config.JOB_LOCK_MS,
    log,
    telemetry: bullmqTelemetry(),
  });
  const unobserve = pool.workers.map((worker) => metrics.observeWorker(worker));
  pool.start();
  await pool.waitUntilReady();
  log.info({ instances: pool.workers.length, platforms: platforms.map((ports) => ports.platform) }, 'workers ready');

  return {
    pool,
    async stop(graceMs = config.SHUTDOWN_GRACE_MS) {
      await pool.stop(graceMs, () => shutdown.abort(new Error('shutting down')));
      await cancels.close();
      for (const stop of unobserve) stop();
    },
  };
}
