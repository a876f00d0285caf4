import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import { createCommandService } from '../commands/index.ts';
import { createIngressServices, type IngressGate, type IngressServices, type PlaceholderPacer } from '../ingress/index.ts';
import { createLlmClient, llmClientOptionsFromConfig } from '../llm/index.ts';
import type { LlmClient, ModelInfo } from '../llm/types.ts';
import type { Logger } from '../observability/logger.ts';
import { FeedbackStore, type FeedbackEvent } from '../feedback/index.ts';
import { ChatProducer, createRedisConnection } from '../queue/index.ts';
import { SettingsStore } from '../settings/index.ts';
import { ApprovalBroker, createTools, type ToolRuntime } from '../tools/index.ts';
import { RedisUploadLedger } from '../tools/builtins/index.ts';
import { UsageStore } from '../usage/index.ts';

/**
 * Everything platform-neutral a process needs, built once from the config. `src/cli/roles.ts` adds the
 * platform adapters; the tests build the same core against the fakes.
 */
export interface Core {
  config: Config;
  log: Logger;
  /** General-purpose connection (settings, usage, claims, pacing, approvals, budget). */
  redis: Redis;
  producer: ChatProducer;
  llm: LlmClient;
  settings: SettingsStore;
  usage: UsageStore;
  /** 👍 / 👎 per answer with its model and persona (`feedback.totals` for the admins' usage view). */
  feedback: FeedbackStore;
  approvals: ApprovalBroker;
  tools: ToolRuntime;
  ingress: IngressServices;
  /** Opens another connection of the given kind on the same Redis, closed with the core. */
  connect(role: 'worker' | 'subscriber' | 'client'): Redis;
  close(): Promise<void>;
}

export interface CoreOptions {
  config: Config;
  log: Logger;
  /** For `${NAME}` references in the tools config file. */
  env: Record<string, string | undefined>;
  /** Start MCP servers now (workers, and gateways answering `/tools`). @defaultValue true */
  startTools?: boolean;
  /** Access, budget and fairness checked before each request is accepted. @defaultValue OPEN_GATE */
  gate?: IngressGate;
  /** Asked before each placeholder is posted. @defaultValue ALWAYS_POST_PLACEHOLDER */
  placeholderPacer?: PlaceholderPacer;
  /** Called for each counted or changed vote (e.g. a metric). @defaultValue none */
  onFeedback?: (event: FeedbackEvent) => void;
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const { config, log } = options;
  const prefix = config.REDIS_KEY_PREFIX;
  const connections: Redis[] = [];
  const connect = (role: 'worker' | 'subscriber' | 'client' | 'producer'): Redis => {
    const connection = createRedisConnection(config.REDIS_URL, role);
    connections.push(connection);
    return connection;
  };
  const redis = connect('client');
  const producer = new ChatProducer({ connection: connect('producer'), prefix, attempts: config.JOB_ATTEMPTS });
  const llm = createLlmClient(llmClientOptionsFromConfig(config));
  const settings = new SettingsStore({ redis, prefix });
  const usage = new UsageStore({ redis, prefix });
  const feedback = new FeedbackStore({ redis, prefix, ...(options.onFeedback ? { onVote: options.onFeedback } : {}) });
  const approvals = new ApprovalBroker({ redis, prefix, timeoutMs: config.TOOL_APPROVAL_TIMEOUT_MS });
  const tools = await createTools({
    config,
    env: options.env,
    log,
    builtins: {
      image: {
        client: { baseUrl: config.OFOX_BASE_URL, apiKey: config.OFOX_API_KEY ?? '' },
        defaultModel: config.OFOX_IMAGE_MODEL,
        ledger: new RedisUploadLedger({ redis, prefix }),
      },
    },
  });
  if (options.startTools ?? true) await tools.start();

  const commands = createCommandService({
    settings,
    catalog: tools.catalog,
    listModels: (): Promise<ModelInfo[]> => llm.listModels(),
    defaultModel: config.OFOX_MODEL,
    usage,
  });
  const ingress = createIngressServices({
    redis,
    prefix,
    producer,
    runCommand: (command) => commands.runCommand(command),
    decideApproval: (click) => approvals.decide(click),
    feedback,
    log: log.child({ role: 'ingress' }),
    ...(options.gate ? { gate: options.gate } : {}),
    ...(options.placeholderPacer ? { placeholderPacer: options.placeholderPacer } : {}),
  });

  return {
    config,
    log,
    redis,
    producer,
    llm,
    settings,
    usage,
    feedback,
    approvals,
    tools,
    ingress,
    connect,
    async close() {
      await tools.close().catch((error: unknown) => log.warn({ err: error }, 'tools did not close cleanly'));
      await approvals.close?.();
      await producer.close().catch(() => {});
      for (const connection of connections) connection.disconnect();
    },
  };
}
