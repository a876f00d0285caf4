import type { Cluster, Redis } from 'ioredis';
import type { Logger } from '../observability/logger.ts';
import { claimEvent } from '../queue/event-claims.ts';
import { requestCancel } from '../queue/cancel-bus.ts';
import type { ChatProducer } from '../queue/producer.ts';
import type { FeedbackVotes } from '../feedback/index.ts';
import type { IngressGate } from './gate.ts';
import { connectionsReady } from './outbox-availability.ts';
import { IngressOutbox, type OutboxOptions } from './outbox.ts';
import type { PlaceholderPacer } from './placeholder-pacer.ts';
import type { ApprovalClick, ApprovalClickResult, CommandInvocation, CommandReply, IngressServices } from './services.ts';
import type { CompletionField } from '../commands/command-completions.ts';

export interface IngressServicesDeps {
  redis: Redis | Cluster;
  prefix: string;
  producer: ChatProducer;
  runCommand(command: CommandInvocation): Promise<CommandReply>;
  decideApproval(click: ApprovalClick): Promise<ApprovalClickResult>;
  completeCommand?(field: CompletionField, query: string): Promise<string[]>;
  log: Logger;
  /** @defaultValue OPEN_GATE */
  gate?: IngressGate;
  /** @defaultValue ALWAYS_POST_PLACEHOLDER */
  placeholderPacer?: PlaceholderPacer;
  /**
   * The outbox's limits; Redis counts as reachable while `redis` and the producer's connection are
   * ready. @defaultValue no outbox
   */
  outbox?: Pick<OutboxOptions, 'maxEntries' | 'maxAgeMs' | 'checkEveryMs'> & { producerConnection: Redis | Cluster };
  /** @defaultValue none (feedback only acknowledged) */
  feedback?: FeedbackVotes;
}

/** The gateway role's services, backed by Redis and the chat queue. */
export function createIngressServices(deps: IngressServicesDeps): IngressServices {
  const { outbox } = deps;
  return {
    log: deps.log,
    ...(outbox
      ? {
          outbox: new IngressOutbox({
            log: deps.log,
            available: connectionsReady(deps.redis, outbox.producerConnection),
            ...(outbox.maxEntries !== undefined ? { maxEntries: outbox.maxEntries } : {}),
            ...(outbox.maxAgeMs !== undefined ? { maxAgeMs: outbox.maxAgeMs } : {}),
            ...(outbox.checkEveryMs !== undefined ? { checkEveryMs: outbox.checkEveryMs } : {}),
          }),
        }
      : {}),
    ...(deps.gate ? { gate: deps.gate } : {}),
    ...(deps.placeholderPacer ? { placeholderPacer: deps.placeholderPacer } : {}),
    ...(deps.feedback ? { feedback: deps.feedback } : {}),
    claimEvent: (platform, eventId) => claimEvent(deps.redis, deps.prefix, platform, eventId),
    enqueue: (job) => deps.producer.enqueue(job),
    async cancel(jobId, requestedBy) {
      if ((await deps.producer.stateOf(jobId)) !== 'running') return false;
      deps.log.info({ jobId, requestedBy }, 'stop requested');
      await requestCancel(deps.redis, deps.prefix, jobId);
      return true;
    },
    async canCancel(jobId, userId, isAdmin) {
      if (isAdmin) return true;
      const data = await deps.producer.getJobData(jobId);
      return data?.userId === userId;
    },
    runCommand: (command) => deps.runCommand(command),
    decideApproval: (click) => deps.decideApproval(click),
    ...(deps.completeCommand ? { completeCommand: deps.completeCommand } : {}),
  };
}
