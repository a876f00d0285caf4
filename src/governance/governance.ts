import type { Cluster, Redis } from 'ioredis';
import type { ModelInfo } from '../llm/types.ts';
import type { Logger } from '../observability/logger.ts';
import { AccessStore } from './access-store.ts';
import { createAnswerGovernance } from './answer-governance.ts';
import { AuditLog } from './audit-log.ts';
import { BudgetLedger } from './budget-ledger.ts';
import { BudgetLimits } from './budget-limits.ts';
import { ChannelOptions } from './channel-options.ts';
import { Fairness } from './fairness.ts';
import type { GovernanceConfig } from './governance-config.ts';
import { createGovernanceGate } from './governance-gate.ts';
import { createImageCharges } from './image-charges.ts';
import { PriceBook } from './price-book.ts';
import type { IngressGate } from '../ingress/gate.ts';
import type { Inbound } from '../ingress/inbound.ts';
import { jobIdFor } from '../queue/chat-job.ts';
import type { AnswerGovernance } from '../worker/processor.ts';
import type { ImageSpending } from '../tools/builtins/image.ts';
import type { UsageRecord } from '../usage/types.ts';

export interface GovernanceDeps {
  redis: Redis | Cluster;
  prefix: string;
  config: GovernanceConfig;
  listModels(): Promise<ModelInfo[]>;
  log: Logger;
  /** @defaultValue Date.now */
  now?: () => number;
  /** @defaultValue GOVERNANCE_DEFAULTS.priceRefreshMs */
  priceRefreshMs?: number;
  /** Where image calls are recorded (answers are recorded by the worker). @defaultValue not recorded */
  usage?: { record(record: UsageRecord): Promise<void> };
}

/** Every governance part, built once per process; the gate, the worker hooks and the commands share them. */
export interface Governance {
  config: GovernanceConfig;
  access: AccessStore;
  limits: BudgetLimits;
  ledger: BudgetLedger;
  fairness: Fairness;
  prices: PriceBook;
  audit: AuditLog;
  channelOptions: ChannelOptions;
  gate: IngressGate;
  answers: AnswerGovernance;
  /** The image tool's calls, reserved before and charged after, on the same budgets. */
  images: ImageSpending;
  /** The gate allowed a request that was then not enqueued (enqueue failed): frees its in-flight slot. */
  releaseRequest(inbound: Inbound): Promise<void>;
}

export function createGovernance(deps: GovernanceDeps): Governance {
  const { redis, prefix, config, log } = deps;
  const now = deps.now ?? Date.now;
  const access = new AccessStore({ redis, prefix, config: config.access });
  const limits = new BudgetLimits({ redis, prefix, config: config.budgets });
  const ledger = new BudgetLedger({ redis, prefix, now });
  const fairness = new Fairness({ redis, prefix, requestsPerMinute: config.fairness.requestsPerMinute, maxInFlight: config.fairness.maxInFlight, now });
  const prices = new PriceBook({
    listModels: deps.listModels,
    now,
    ...(deps.priceRefreshMs !== undefined ? { refreshMs: deps.priceRefreshMs } : {}),
    onError: (error) => log.warn({ err: error }, 'model prices could not be refreshed; using the last ones'),
  });
  const audit = new AuditLog({ redis, prefix, maxEntries: config.audit.maxEntries, now });
  const channelOptions = new ChannelOptions({ redis, prefix });
  return {
    config,
    access,
    limits,
    ledger,
    fairness,
    prices,
    audit,
    channelOptions,
    gate: createGovernanceGate({ redis, prefix, config, now }),
    answers: createAnswerGovernance({ ledger, limits, prices, fairness, channelOptions, log, now }),
    images: createImageCharges({
      ledger,
      limits,
      prices,
      log,
      now,
      ...(deps.usage ? { usage: deps.usage } : {}),
      ...(config.imagePriceUsd !== undefined ? { defaultImageUsd: config.imagePriceUsd } : {}),
    }),
    releaseRequest: (inbound) => fairness.releaseSlot({ platform: inbound.platform, workspaceId: inbound.workspaceId, userId: inbound.user.id }, jobIdFor(inbound.platform, inbound.eventId)),
  };
}
