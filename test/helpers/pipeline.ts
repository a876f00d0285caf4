import { loadConfig, type Config } from '../../src/config.ts';
import type { IngressServices } from '../../src/ingress/index.ts';
import { silentLogger, type Logger } from '../../src/observability/logger.ts';
import { chatJobSchema, type ChatJob } from '../../src/queue/chat-job.ts';
import { createCore, type Core, type CoreOptions } from '../../src/runtime/core.ts';
import { startWorkerRole, type WorkerRole, type WorkerRoleOptions } from '../../src/runtime/worker-role.ts';
import type { ChatAnswerResult } from '../../src/worker/processor.ts';
import type { PlatformPorts } from '../../src/worker/ports.ts';
import { startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from './redis.ts';

/**
 * The real pipeline for tests: real Redis through BullMQ, the real core (settings, tools, approvals,
 * usage, ingress services) and real workers, with the real OfoxAI client pointed at the fake OfoxAI.
 * Adapters plug in their ports; everything outside the machine is faked at the wire.
 */

export interface PipelineOptions {
  /** Platform ports the workers answer for; a function gets the core (for its Redis connection). */
  ports?: PlatformPorts[] | ((core: Core) => PlatformPorts[]);
  /** Extra environment variables (strings, as in a real environment). */
  env?: Record<string, string>;
  /** Reuse a running fake; otherwise one is started (and closed by `stop`). */
  fakeOfox?: FakeOfox;
  /** `false` starts no workers (ingress-only tests). */
  workers?: WorkerRoleOptions | false;
  log?: Logger;
  /**
   * The budgets a placeholder would spend, as the CLI's roles pass them from the registry: the
   * ingress then posts a placeholder only when the pacer has room. @defaultValue placeholders are not paced
   */
  placeholderRequest?: CoreOptions['placeholderRequest'];
}

export interface Pipeline {
  core: Core;
  config: Config;
  services: IngressServices;
  fakeOfox: FakeOfox;
  prefix: string;
  workers?: WorkerRole;
  /** Starts workers later (after the ports exist, or again after `stopWorkers`). */
  startWorkers(ports: PlatformPorts[], options?: WorkerRoleOptions): Promise<WorkerRole>;
  /** Resolves with the processor's result once the job completes (or rejects when it fails for good). */
  waitForJob(jobId: string, timeoutMs?: number): Promise<ChatAnswerResult>;
  /** The job's current data (placeholder and continuations are written back as the answer posts). */
  jobData(jobId: string): Promise<ChatJob | undefined>;
  stop(): Promise<void>;
}

export const TEST_API_KEY = 'sk-test-ofox-key-0123456789';

export async function startPipeline(options: PipelineOptions = {}): Promise<Pipeline> {
  const fakeOfox = options.fakeOfox ?? (await startFakeOfox({ apiKey: TEST_API_KEY }));
  const prefix = newTestPrefix('pipeline');
  const config = loadConfig(
    {
      NODE_ENV: 'test',
      LOG_LEVEL: 'silent',
      OFOX_API_KEY: TEST_API_KEY,
      OFOX_BASE_URL: fakeOfox.openaiBaseUrl,
      OFOX_ANTHROPIC_BASE_URL: fakeOfox.anthropicBaseUrl,
      OFOX_RETRY_BASE_MS: '10',
      OFOX_RETRY_MAX_MS: '200',
      OFOX_FIRST_BYTE_TIMEOUT_MS: '10000',
      OFOX_IDLE_TIMEOUT_MS: '10000',
      OFOX_REQUESTS_PER_MINUTE: '100000',
      REDIS_URL: testRedisUrl(),
      REDIS_KEY_PREFIX: prefix,
      WORKER_INSTANCES: '1',
      WORKER_CONCURRENCY: '20',
      HEALTH_PORT: '0',
      // No file on purpose: the tests name one when they want MCP servers.
      OFOX_BOT_CONFIG: '',
      ...options.env,
    },
    '/nonexistent/.env',
  );
  const log = options.log ?? silentLogger();
  const core = await createCore({ config, log, env: {}, startTools: true, ...(options.placeholderRequest ? { placeholderRequest: options.placeholderRequest } : {}) });

  const pipeline: Pipeline = {
    core,
    config,
    services: core.ingress,
    fakeOfox,
    prefix,
    async startWorkers(ports, workerOptions) {
      pipeline.workers = await startWorkerRole(core, ports, { lockDurationMs: 5_000, ...workerOptions });
      return pipeline.workers;
    },
    async waitForJob(jobId, timeoutMs = 20_000) {
      const deadline = Date.now() + timeoutMs;
      while (Date.now() < deadline) {
        const job = await core.producer.queue.getJob(jobId);
        if (job) {
          const state = await job.getState();
          // The job object was read before it completed: read it again for its return value.
          if (state === 'completed') return (await core.producer.queue.getJob(jobId))!.returnvalue as ChatAnswerResult;
          if (state === 'failed') throw new Error(`job ${jobId} failed: ${job.failedReason}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
      throw new Error(`job ${jobId} did not finish within ${timeoutMs} ms`);
    },
    async jobData(jobId) {
      const job = await core.producer.queue.getJob(jobId);
      const parsed = chatJobSchema.safeParse(job?.data);
      return parsed.success ? parsed.data : undefined;
    },
    async stop() {
      await pipeline.workers?.stop(2_000).catch(() => {});
      await core.close();
      if (!options.fakeOfox) await fakeOfox.close();
      await deleteKeys(prefix);
    },
  };

  const ports = typeof options.ports === 'function' ? options.ports(core) : options.ports;
  if (options.workers !== false && ports) await pipeline.startWorkers(ports, options.workers || {});
  return pipeline;
}
