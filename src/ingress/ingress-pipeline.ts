import type { Logger } from '../observability/logger.ts';
import { CHAT_JOB_VERSION, jobIdFor, type ChatJobInput } from '../queue/chat-job.ts';
import type { MessageRef } from '../render/surface.ts';
import { OPEN_GATE, type GateRefusalReason } from './gate.ts';
import type { Inbound } from './inbound.ts';
import type { IngressPorts, PlaceholderOutcome } from './ingress-ports.ts';
import { isConnectionError } from './outbox-availability.ts';
import { RedisUnavailableError, type GiveUpReason, type HeldRequest, type WaitingIndication } from './outbox.ts';
import { ALWAYS_POST_PLACEHOLDER } from './placeholder-pacer.ts';
import type { EnqueueResult, IngressServices } from './services.ts';

/**
 * The sequence every platform's request goes through, written once:
 * claim (dedupe) → gate → route → acknowledge → placeholder (if the pacer has room) → job →
 * enqueue → on failure a readable message. While Redis is unreachable, the outbox holds the
 * request (the whole sequence) and runs it once Redis answers. Adapters only turn events into `Inbound` and fill in
 * `IngressPorts`.
 */

export type IngressOutcome =
  | { status: 'queued'; jobId: string; placeholder?: MessageRef }
  /** The event was claimed or queued before (a redelivery, another gateway). */
  | { status: 'duplicate'; jobId: string }
  | { status: 'refused'; reason: GateRefusalReason }
  /** The platform refused the placeholder for lack of permission: the message is ignored. */
  | { status: 'forbidden' }
  /** Not started: the person was shown the failure (`reason` when the outbox gave it up). */
  | { status: 'failed'; jobId: string; reason?: GiveUpReason };

export interface IngressPipeline {
  accept(inbound: Inbound, ports: IngressPorts): Promise<IngressOutcome>;
}

export interface IngressPipelineDeps {
  /** Read at each request, so a test may swap `enqueue` on a running gateway. */
  services: Pick<IngressServices, 'claimEvent' | 'enqueue' | 'log' | 'gate' | 'placeholderPacer' | 'outbox'>;
  /** Injected clock for `createdAt`. @defaultValue Date.now */
  now?: () => number;
}

/** The one place a `ChatJob` is written from what a platform said. */
export function chatJobFrom(inbound: Inbound, placeholder: MessageRef | undefined, createdAt: number): ChatJobInput {
  return {
    v: CHAT_JOB_VERSION,
    eventId: inbound.eventId,
    platform: inbound.platform,
    workspaceId: inbound.workspaceId,
    channelId: inbound.channelId,
    ...(inbound.threadId ? { threadId: inbound.threadId } : {}),
    ...(inbound.messageId ? { messageId: inbound.messageId } : {}),
    ...(inbound.replyTo !== undefined ? { replyTo: inbound.replyTo } : {}),
    userId: inbound.user.id,
    ...(inbound.user.name ? { userName: inbound.user.name } : {}),
    prompt: inbound.prompt,
    attachments: inbound.attachments,
    ...(placeholder ? { placeholder } : {}),
    ...(inbound.model ? { model: inbound.model } : {}),
    private: inbound.private ?? false,
    fromCommand: inbound.fromCommand ?? false,
    createdAt,
  };
}

/** The job id a platform event gets: adapters name it on their Stop buttons before the job exists. */
export function jobIdOf(inbound: Pick<Inbound, 'platform' | 'eventId'>): string {
  return jobIdFor(inbound.platform, inbound.eventId);
}

export function createIngressPipeline(deps: IngressPipelineDeps): IngressPipeline {
  const now = deps.now ?? Date.now;
  return {
    accept(received, ports) {
      const { services } = deps;
      const request = new IngressRequest(services, received, ports, now);
      // The outbox step: while Redis is unreachable the whole sequence, claim included, waits there
      // in arrival order (see outbox.ts). Without an outbox a Redis failure fails the request.
      return services.outbox ? services.outbox.submit(request) : request.run();
    },
  };
}

/**
 * One request going through the sequence. It remembers the steps it has done, so a request that
 * Redis failed under (in the outbox) resumes from that step instead of claiming or posting twice.
 */
class IngressRequest implements HeldRequest<IngressOutcome> {
  readonly logFields: Record<string, unknown>;
  readonly waiting?: WaitingIndication;
  private readonly log: Logger;
  private readonly jobId: string;
  private inbound: Inbound;
  private placeholder: MessageRef | undefined;
  private readonly done = { claim: false, gate: false, acknowledge: false, prepare: false };

  private readonly services: IngressPipelineDeps['services'];
  private readonly received: Inbound;
  private readonly ports: IngressPorts;
  private readonly now: () => number;

  constructor(services: IngressPipelineDeps['services'], received: Inbound, ports: IngressPorts, now: () => number) {
    this.services = services;
    this.received = received;
    this.ports = ports;
    this.now = now;
    this.inbound = received;
    this.jobId = jobIdOf(received);
    this.logFields = { platform: received.platform, eventId: received.eventId, channelId: received.channelId, jobId: this.jobId };
    this.log = services.log.child({ platform: received.platform, eventId: received.eventId, channelId: received.channelId });
    const waiting = ports.waiting;
    if (waiting) {
      this.waiting = {
        key: waiting.key(received),
        ...(waiting.renewEveryMs !== undefined ? { renewEveryMs: waiting.renewEveryMs } : {}),
        show: () => waiting.show(this.inbound),
      };
    }
  }

  async run(): Promise<IngressOutcome> {
    const { services, ports, received, jobId, log } = this;
    if (!this.done.claim) {
      if (!(await this.redisStep(() => services.claimEvent(received.platform, received.eventId)))) {
        log.debug('event already claimed; ignoring the redelivery');
        return { status: 'duplicate', jobId };
      }
      this.done.claim = true;
    }

    if (!this.done.gate) {
      const decision = await this.redisStep(() => (services.gate ?? OPEN_GATE).check(received));
      this.done.gate = true;
      if (!decision.allowed) {
        log.info({ reason: decision.reason, userId: received.user.id }, 'request refused by the gate');
        if (decision.notice) await quietly(log, 'could not send the refusal notice', () => ports.notifyPrivately(received, decision.notice ?? ''));
        return { status: 'refused', reason: decision.reason };
      }
    }

    const placeholderPort = ports.placeholder;
    if (!this.done.acknowledge) {
      // Ports are called as methods: an adapter may implement them as a class.
      if (ports.route) this.inbound = (await quietly(log, 'could not route the request; answering where it was asked', async () => ports.route?.(received))) ?? received;
      const inbound = this.inbound;
      const channelKey = placeholderPort?.channelKey(inbound);
      const postPlaceholder = placeholderPort !== undefined && (channelKey === undefined || (await (services.placeholderPacer ?? ALWAYS_POST_PLACEHOLDER).mayPostNow(inbound, channelKey)));
      if (placeholderPort && !postPlaceholder) log.debug({ channelKey }, 'no room for a placeholder; the first write will carry text');
      if (ports.acknowledge) await quietly(log, 'could not acknowledge the request', async () => ports.acknowledge?.(inbound, postPlaceholder));

      if (placeholderPort && postPlaceholder) {
        let outcome: PlaceholderOutcome;
        try {
          outcome = await placeholderPort.post(inbound, jobId);
        } catch (error) {
          if (placeholderPort.required) return this.fail(error, 'could not post the placeholder; not enqueuing');
          // Without a placeholder the worker posts its first message itself; the job still goes ahead.
          log.warn({ err: error }, 'could not post the placeholder');
          outcome = undefined;
        }
        if (outcome === 'forbidden') {
          // The bot may read here but not write: an answer could never be shown, and every attempt
          // would count towards the platform's invalid-request limits.
          log.warn('no permission to answer in this channel; ignoring the message');
          await this.releaseGate();
          return { status: 'forbidden' };
        }
        if (outcome === undefined && placeholderPort.required) return this.fail(new Error('no placeholder'), 'could not post the placeholder; not enqueuing');
        this.placeholder = outcome;
      }
      this.done.acknowledge = true;
    }

    const inbound = this.inbound;
    const placeholder = this.placeholder;
    if (!this.done.prepare && ports.beforeEnqueue) {
      try {
        await this.redisStep(async () => ports.beforeEnqueue?.(inbound, jobId));
      } catch (error) {
        if (error instanceof RedisUnavailableError) throw error;
        return this.fail(error, 'could not prepare the request; not enqueuing');
      }
    }
    this.done.prepare = true;
    let result: EnqueueResult;
    try {
      result = await this.redisStep(() => services.enqueue(chatJobFrom(inbound, placeholder, this.now())));
    } catch (error) {
      if (error instanceof RedisUnavailableError) throw error;
      return this.fail(error, 'could not enqueue the request');
    }
    if (result.duplicate) {
      log.info({ jobId: result.jobId }, 'event was already queued; removing the extra placeholder');
      if (placeholder && placeholderPort?.discard) await quietly(log, 'could not remove the extra placeholder', async () => placeholderPort.discard?.(placeholder));
      return { status: 'duplicate', jobId: result.jobId };
    }
    log.info({ jobId: result.jobId, trigger: inbound.trigger, placeholder: placeholder !== undefined }, 'request queued');
    return { status: 'queued', jobId: result.jobId, ...(placeholder ? { placeholder } : {}) };
  }

  /** The outbox gave up on it (logged there): the person reads that it could not be taken. */
  async giveUp(reason: GiveUpReason): Promise<IngressOutcome> {
    await this.releaseGate();
    await quietly(this.log, 'could not show the failure', () => this.ports.showFailure(this.inbound, this.placeholder));
    return { status: 'failed', jobId: this.jobId, reason };
  }

  private async fail(error: unknown, message: string): Promise<IngressOutcome> {
    this.log.error({ err: error, jobId: this.jobId }, message);
    await this.releaseGate();
    await quietly(this.log, 'could not show the failure', () => this.ports.showFailure(this.inbound, this.placeholder));
    return { status: 'failed', jobId: this.jobId };
  }

  /** What the gate took for a request that will not be enqueued goes back (a duplicate's slot is the queued job's). */
  private async releaseGate(): Promise<void> {
    const gate = this.services.gate;
    if (!this.done.gate || !gate?.release) return;
    await quietly(this.log, 'could not release what the gate took', () => gate.release?.(this.inbound) ?? Promise.resolve());
  }

  /**
   * A step that needs Redis. When Redis cannot be reached and an outbox is there, the request waits
   * (`RedisUnavailableError`) instead of failing; any other error is the step's own.
   */
  private async redisStep<T>(step: () => Promise<T>): Promise<T> {
    const outbox = this.services.outbox;
    try {
      return await step();
    } catch (error) {
      if (outbox && (isConnectionError(error) || !outbox.available())) throw new RedisUnavailableError(error);
      throw error;
    }
  }
}

/** Runs a step whose failure must not end the request: one log line, undefined instead of a throw. */
async function quietly<T>(log: Logger, message: string, step: () => Promise<T>): Promise<T | undefined> {
  try {
    return await step();
  } catch (error) {
    log.warn({ err: error }, message);
    return undefined;
  }
}
