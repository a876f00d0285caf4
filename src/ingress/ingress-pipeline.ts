import type { Logger } from '../observability/logger.ts';
import { CHAT_JOB_VERSION, jobIdFor, type ChatJobInput } from '../queue/chat-job.ts';
import type { MessageRef } from '../render/surface.ts';
import { OPEN_GATE, type GateRefusalReason } from './gate.ts';
import type { Inbound } from './inbound.ts';
import type { IngressPorts } from './ingress-ports.ts';
import { ALWAYS_POST_PLACEHOLDER } from './placeholder-pacer.ts';
import type { IngressServices } from './services.ts';

/**
 * The sequence every platform's request goes through, written once:
 * claim (dedupe) → gate → route → acknowledge → placeholder (if the pacer has room) → job →
 * enqueue → on failure a readable message. Adapters only turn events into `Inbound` and fill in
 * `IngressPorts`.
 */

export type IngressOutcome =
  | { status: 'queued'; jobId: string; placeholder?: MessageRef }
  /** The event was claimed or queued before (a redelivery, another gateway). */
  | { status: 'duplicate'; jobId: string }
  | { status: 'refused'; reason: GateRefusalReason }
  /** The platform refused the placeholder for lack of permission: the message is ignored. */
  | { status: 'forbidden' }
  | { status: 'failed'; jobId: string };

export interface IngressPipeline {
  accept(inbound: Inbound, ports: IngressPorts): Promise<IngressOutcome>;
}

export interface IngressPipelineDeps {
  /** Read at each request, so a test may swap `enqueue` on a running gateway. */
  services: Pick<IngressServices, 'claimEvent' | 'enqueue' | 'log' | 'gate' | 'placeholderPacer'>;
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
    async accept(received, ports) {
      const { services } = deps;
      const log = services.log.child({ platform: received.platform, eventId: received.eventId, channelId: received.channelId });
      const jobId = jobIdOf(received);
      if (!(await services.claimEvent(received.platform, received.eventId))) {
        log.debug('event already claimed; ignoring the redelivery');
        return { status: 'duplicate', jobId };
      }

      const decision = await (services.gate ?? OPEN_GATE).check(received);
      if (!decision.allowed) {
        log.info({ reason: decision.reason, userId: received.user.id }, 'request refused by the gate');
        if (decision.notice) await quietly(log, 'could not send the refusal notice', () => ports.notifyPrivately(received, decision.notice ?? ''));
        return { status: 'refused', reason: decision.reason };
      }

      // Ports are called as methods: an adapter may implement them as a class.
      let inbound = received;
      if (ports.route) inbound = (await quietly(log, 'could not route the request; answering where it was asked', async () => ports.route?.(received))) ?? received;

      const placeholderPort = ports.placeholder;
      const channelKey = placeholderPort?.channelKey(inbound);
      const postPlaceholder = placeholderPort !== undefined && (channelKey === undefined || (await (services.placeholderPacer ?? ALWAYS_POST_PLACEHOLDER).mayPostNow(inbound, channelKey)));
      if (placeholderPort && !postPlaceholder) log.debug({ channelKey }, 'no room for a placeholder; the first write will carry text');
      if (ports.acknowledge) await quietly(log, 'could not acknowledge the request', async () => ports.acknowledge?.(inbound, postPlaceholder));

      let placeholder: MessageRef | undefined;
      const fail = async (error: unknown, message: string): Promise<IngressOutcome> => {
        log.error({ err: error, jobId }, message);
        await quietly(log, 'could not show the failure', () => ports.showFailure(inbound, placeholder));
        return { status: 'failed', jobId };
      };
      if (placeholderPort && postPlaceholder) {
        let outcome: Awaited<ReturnType<typeof placeholderPort.post>>;
        try {
          outcome = await placeholderPort.post(inbound, jobId);
        } catch (error) {
          if (placeholderPort.required) return fail(error, 'could not post the placeholder; not enqueuing');
          // Without a placeholder the worker posts its first message itself; the job still goes ahead.
          log.warn({ err: error }, 'could not post the placeholder');
          outcome = undefined;
        }
        if (outcome === 'forbidden') {
          // The bot may read here but not write: an answer could never be shown, and every attempt
          // would count towards the platform's invalid-request limits.
          log.warn('no permission to answer in this channel; ignoring the message');
          return { status: 'forbidden' };
        }
        if (outcome === undefined && placeholderPort.required) return fail(new Error('no placeholder'), 'could not post the placeholder; not enqueuing');
        placeholder = outcome;
      }

      if (ports.beforeEnqueue) {
        try {
          await ports.beforeEnqueue(inbound, jobId);
        } catch (error) {
          return fail(error, 'could not prepare the request; not enqueuing');
        }
      }
      try {
        const result = await services.enqueue(chatJobFrom(inbound, placeholder, now()));
        if (result.duplicate) {
          log.info({ jobId: result.jobId }, 'event was already queued; removing the extra placeholder');
          const extra = placeholder;
          if (extra && placeholderPort?.discard) await quietly(log, 'could not remove the extra placeholder', async () => placeholderPort.discard?.(extra));
          return { status: 'duplicate', jobId: result.jobId };
        }
        log.info({ jobId: result.jobId, trigger: inbound.trigger, placeholder: placeholder !== undefined }, 'request queued');
        return { status: 'queued', jobId: result.jobId, ...(placeholder ? { placeholder } : {}) };
      } catch (error) {
        return fail(error, 'could not enqueue the request');
      }
    },
  };
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
