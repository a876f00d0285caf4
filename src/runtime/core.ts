import { redactUrl, type Config } from '../config.ts';
import { createCommandService } from '../commands/index.ts';
import { createIngressServices, pacedPlaceholders, type Inbound, type IngressGate, type IngressServices, type PlaceholderPacer, type PlaceholderRequest } from '../ingress/index.ts';
import { RedisWritePacer, shareTransportPacer } from '../render/index.ts';
import { createLlmClient, llmClientOptionsFromConfig } from '../llm/index.ts';
import type { LlmClient, ModelInfo } from '../llm/types.ts';
import type { Logger } from '../observability/logger.ts';
import { watchRedis } from '../observability/dependency-state.ts';
import { createMetricsRecorder, observeImageSpend, observeLlm } from '../observability/index.ts';
import { bullmqTelemetry, traceEnqueue } from '../observability/tracing.ts';
import { ChatProducer, createRedisConnection, redisTopologyFromConfig, type RedisClient } from '../queue/index.ts';
import { createGovernance, governApprovals, parseGovernanceConfig, type Governance } from '../governance/index.ts';
import { FeedbackStore, type FeedbackEvent } from '../feedback/index.ts';
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
  redis: RedisClient;
  producer: ChatProducer;
  llm: LlmClient;
  settings: SettingsStore;
  usage: UsageStore;
  /** 👍 / 👎 per answer with its model and persona (`feedback.totals` for the admins' usage view). */
  feedback: FeedbackStore;
  approvals: ApprovalBroker;
  tools: ToolRuntime;
  ingress: IngressServices;
  /** Access rules, budgets, fairness and the audit trail, shared by the gate, the workers and the commands. */
  governance: Governance;
  /** Opens another connection of the given kind on the same Redis, closed with the core. */
  connect(role: 'worker' | 'subscriber' | 'client'): RedisClient;
  close(): Promise<void>;
}

export interface CoreOptions {
  config: Config;
  log: Logger;
  /** For `${NAME}` references in the tools config file. */
  env: Record<string, string | undefined>;
  /** Start MCP servers now (workers, and gateways answering `/tools`). @defaultValue true */
  startTools?: boolean;
  /** Access, budget and fairness checked before each request is accepted. @defaultValue the governance gate */
  gate?: IngressGate;
  /** A platform's own wording of `help` (from its registry descriptor). @defaultValue the platform-neutral text */
  helpFor?(platform: string): string | undefined;
  /** Asked before each placeholder is posted. @defaultValue ALWAYS_POST_PLACEHOLDER */
  placeholderPacer?: PlaceholderPacer;
  /**
   * The budgets a platform's placeholder would spend (from its registry descriptor): placeholders
   * are then paced by the shared write pacer, which also paces the process's Discord requests.
   * Ignored when `placeholderPacer` is given. @defaultValue placeholders are not paced
   */
  placeholderRequest?(inbound: Inbound): PlaceholderRequest | undefined;
  /** Called for each counted or changed vote (e.g. a metric). @defaultValue none */
  onFeedback?: (event: FeedbackEvent) => void;
}

export async function createCore(options: CoreOptions): Promise<Core> {
  const { config, log } = options;
  const prefix = config.REDIS_KEY_PREFIX;
  const topology = redisTopologyFromConfig(config);
  const connections: RedisClient[] = [];
  const connect = (role: 'worker' | 'subscriber' | 'client' | 'producer'): RedisClient => {
    const connection = createRedisConnection(topology, role);
    connections.push(connection);
    watchRedis(connection, log, redactUrl(config.REDIS_URL));
    return connection;
  };
  const redis = connect('client');
  const producerConnection = connect('producer');
  const producer = new ChatProducer({ connection: producerConnection, prefix, attempts: config.JOB_ATTEMPTS, telemetry: bullmqTelemetry() });
  // Metrics subscribe to the client's callbacks and wrap its contract; the client imports none.
  const metrics = createMetricsRecorder();
  const llm = observeLlm(createLlmClient({ ...llmClientOptionsFromConfig(config), onRetry: metrics.llmHooks.onRetry }), metrics.llmHooks);
  watchRedis(producer.queue, log, redactUrl(config.REDIS_URL));
  const settings = new SettingsStore({ redis, prefix });
  const usage = new UsageStore({ redis, prefix });
  const onFeedback = options.onFeedback;
  const feedback = new FeedbackStore({
    redis,
    prefix,
    onVote: (event) => {
      metrics.feedbackHooks.onFeedback(event);
      onFeedback?.(event);
    },
  });
  const approvals = new ApprovalBroker({ redis, prefix, timeoutMs: config.TOOL_APPROVAL_TIMEOUT_MS });
  let governanceReady = (): Governance => {
    throw new Error('governance is not ready yet');
  };
  const tools = await createTools({
    config,
    env: options.env,
    log,
    builtins: {
      image: {
        client: { baseUrl: config.OFOX_BASE_URL, apiKey: config.OFOX_API_KEY ?? '' },
        defaultModel: config.OFOX_IMAGE_MODEL,
        ledger: new RedisUploadLedger({ redis, prefix }),
        // Governance is built from the tools' config file, so after the tools; images run only in answers, later still.
        spending: observeImageSpend({ reserve: (request) => governanceReady().images.reserve(request) }, metrics.answerHooks),
      },
    },
  });
  if (options.startTools ?? true) await tools.start();
  const unobserve = [metrics.queueMetrics(producer.queue), metrics.redisRoundTrip(redis), metrics.mcpServers(tools.mcp)];
  const governance: Governance = createGovernance({
    redis,
    prefix,
    usage,
    config: parseGovernanceConfig(tools.toolsConfig.governance, { requestsPerMinute: config.GOVERNANCE_REQUESTS_PER_MINUTE, maxInFlight: config.GOVERNANCE_MAX_IN_FLIGHT }),
    listModels: (): Promise<ModelInfo[]> => llm.listModels(),
    log,
  });

  governanceReady = () => governance;

  const commands = createCommandService({
    settings,
    catalog: tools.catalog,
    listModels: (): Promise<ModelInfo[]> => llm.listModels(),
    defaultModel: config.OFOX_MODEL,
    defaultImageModel: config.OFOX_IMAGE_MODEL,
    usage,
    feedback,
    governance,
    ...(options.helpFor ? { helpFor: options.helpFor } : {}),
  });
  let placeholderPacer = options.placeholderPacer;
  if (!placeholderPacer && options.placeholderRequest) {
    // Its own connection, like the workers' pacer: the first write of an answer waits on it.
    const writePacer = new RedisWritePacer({ redis: connect('client'), prefix, log });
    shareTransportPacer(writePacer);
    placeholderPacer = pacedPlaceholders(writePacer, options.placeholderRequest);
  }
  const gate: IngressGate = options.gate ?? { check: (inbound) => governance.gate.check(inbound), release: (inbound) => governance.releaseRequest(inbound) };
  const ingress = createIngressServices({
    redis,
    prefix,
    producer,
    runCommand: (command) => commands.runCommand(command),
    decideApproval: governApprovals((click) => approvals.decide(click), governance),
    completeCommand: (field, query) => commands.complete(field, query),
    feedback,
    log: log.child({ role: 'ingress' }),
    gate,
    ...(placeholderPacer ? { placeholderPacer } : {}),
    outbox: { producerConnection, maxEntries: config.INGRESS_OUTBOX_MAX, maxAgeMs: config.INGRESS_OUTBOX_MAX_AGE_MS },
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
    governance,
    // Each enqueue opens the answer's trace when tracing is on.
    ingress: traceEnqueue(ingress),
    connect,
    async close() {
      for (const stop of unobserve) stop();
      await tools.close().catch((error: unknown) => log.warn({ err: error }, 'tools did not close cleanly'));
      await approvals.close?.();
      await producer.close().catch(() => {});
      for (const connection of connections) connection.disconnect();
    },
  };
}
