import { Worker } from 'bullmq';
import { createGovernance, parseGovernanceConfig, type Governance } from '../../src/governance/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { CancelListener } from '../../src/queue/cancel-bus.ts';
import { CHAT_QUEUE } from '../../src/queue/queue-names.ts';
import { RedisChannelPacer } from '../../src/render/index.ts';
import { createAnswerTools } from '../../src/worker/answer-tools.ts';
import { createChatProcessor } from '../../src/worker/processor.ts';
import type { PlatformPorts } from '../../src/worker/ports.ts';
import type { Pipeline } from '../helpers/pipeline.ts';

/**
 * A real BullMQ worker running the real processor with governance's hooks (`governance` deps):
 * what worker-role will build once the coordinator wires it, built here from the pipeline's core.
 */
export interface GovernedWorker {
  governance: Governance;
  stop(): Promise<void>;
}

export async function startGovernedWorker(pipeline: Pipeline, ports: PlatformPorts[], rawConfig: unknown): Promise<GovernedWorker> {
  const { core } = pipeline;
  const log = silentLogger();
  const prefix = pipeline.prefix;
  const governance = createGovernance({ redis: core.redis, prefix, config: parseGovernanceConfig(rawConfig), listModels: () => core.llm.listModels(), log });
  const cancels = new CancelListener({ subscriber: core.connect('subscriber'), client: core.redis, prefix });
  await cancels.start();
  const shutdown = new AbortController();
  const processor = createChatProcessor({
    llm: core.llm,
    platforms: new Map(ports.map((port) => [port.platform, port])),
    settings: core.settings,
    tools: createAnswerTools({ catalog: core.tools.catalog, approvals: core.approvals, log }),
    pacer: new RedisChannelPacer({ redis: core.connect('client'), prefix, log }),
    cancels,
    usage: core.usage,
    governance: governance.answers,
    shutdownSignal: shutdown.signal,
    log,
    defaults: {
      model: pipeline.config.OFOX_MODEL,
      maxRounds: pipeline.config.MAX_TOOL_ROUNDS,
      contextTokenBudget: pipeline.config.CONTEXT_TOKEN_BUDGET,
      attachmentTextMaxBytes: pipeline.config.ATTACHMENT_TEXT_MAX_BYTES,
      maxOutputTokens: pipeline.config.OFOX_MAX_OUTPUT_TOKENS,
    },
  });
  const worker = new Worker(CHAT_QUEUE, processor, { connection: core.connect('worker'), prefix, concurrency: 4 });
  await worker.waitUntilReady();
  return {
    governance,
    async stop() {
      shutdown.abort(new Error('test over'));
      await worker.close();
      await cancels.close();
    },
  };
}
