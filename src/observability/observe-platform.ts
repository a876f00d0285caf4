import type { WritePacer } from '../render/write-budget.ts';
import { isPermanentRefusal, type MessageOptions, type MessageRef, type PlannedWrite, type Surface } from '../render/surface.ts';
import type { PlatformPorts } from '../worker/ports.ts';
import { currentAnswer } from './answer-context.ts';
import type { AnswerHooks, PlatformWriteKind, RenderHooks } from './metrics-recorder.ts';
import { failSpan, startSpan } from './tracing.ts';

/**
 * A platform's ports whose surfaces report every write: accepted writes by kind, 429s with their
 * Retry-After, permanent refusals, the first write that shows the answer's text, and a
 * `platform write` span. The surface contract is the seam, so neither the renderer nor the
 * adapters know they are observed.
 */
export function observePlatform(ports: PlatformPorts, hooks: { renderHooks: RenderHooks; answerHooks: AnswerHooks }): PlatformPorts {
  return {
    get platform() {
      return ports.platform;
    },
    get conversation() {
      return ports.conversation;
    },
    get approvals() {
      return ports.approvals;
    },
    ...(ports.files ? { files: ports.files } : {}),
    surfaceFor: (job) => observeSurface(ports.surfaceFor(job), ports.platform, hooks),
  };
}

export function observeSurface(surface: Surface, platform: string, hooks: { renderHooks: RenderHooks; answerHooks: AnswerHooks }): Surface {
  const write = async <T>(kind: PlatformWriteKind, send: () => Promise<T>): Promise<T> => {
    const answer = currentAnswer();
    const startedAt = performance.now();
    const span = startSpan('platform write', { 'ofox_bot.platform': platform, 'ofox_bot.write.kind': kind });
    try {
      const result = await send();
      hooks.renderHooks.onWrite({ kind, platform });
      // A write that left after the model's first text carries that text (the renderer sends the latest snapshot).
      if (answer?.firstTextAt !== undefined && startedAt >= answer.firstTextAt) hooks.answerHooks.onFirstVisible();
      return result;
    } catch (error) {
      const retryAfterMs = rateLimitedFor(error);
      if (retryAfterMs !== undefined) hooks.renderHooks.onRateLimited({ retryAfterMs }, platform);
      else if (isPermanentRefusal(error)) hooks.renderHooks.onRefused(error, platform);
      span.setAttribute('ofox_bot.write.rate_limited', retryAfterMs !== undefined);
      failSpan(span, error);
      throw error;
    } finally {
      span.end();
    }
  };
  return {
    get limits() {
      return surface.limits;
    },
    get channelKey() {
      return surface.channelKey;
    },
    ...(surface.typing ? { typing: () => surface.typing!() } : {}),
    // The pacer plans with the platform's own budgets; the observer only watches the writes.
    ...(surface.budgetsFor ? { budgetsFor: (write: PlannedWrite) => surface.budgetsFor!(write) } : {}),
    create: (text, options) => write('create', () => surface.create(text, options)),
    edit: (ref, text, options) => write(editKind(ref, options), () => surface.edit(ref, text, options)),
  };
}

/**
 * An edit of a natively streamed message (its ref marked `extra.stream`) appends to the stream,
 * and its final write stops it; any other edit rewrites the message.
 */
function editKind(ref: MessageRef, options: MessageOptions | undefined): PlatformWriteKind {
  if (ref.extra?.stream === undefined) return 'edit';
  return options?.final ? 'stop' : 'append';
}

/** The surface contract's 429 (`SurfaceRateLimitedError`), read by shape so wrappers and subclasses count too. */
function rateLimitedFor(error: unknown): number | undefined {
  if (!(error instanceof Error) || error.name !== 'SurfaceRateLimitedError') return undefined;
  const retryAfterMs = (error as { retryAfterMs?: unknown }).retryAfterMs;
  return typeof retryAfterMs === 'number' ? retryAfterMs : 0;
}

/**
 * The write pacer, reporting how long each write waited for its grant: from a ticket's first ask
 * to the ask that is granted (a waiting write asks again with the same ticket).
 */
export function observePacer(pacer: WritePacer, hooks: Pick<RenderHooks, 'onPacerWait'>): WritePacer {
  const firstAsked = new Map<string, number>();
  return {
    async acquire(request) {
      const askedAt = firstAsked.get(request.ticket) ?? performance.now();
      const waitMs = await pacer.acquire(request);
      if (waitMs > 0) {
        firstAsked.set(request.ticket, askedAt);
      } else {
        firstAsked.delete(request.ticket);
        hooks.onPacerWait(Math.round(performance.now() - askedAt));
      }
      return waitMs;
    },
    join: (request) => pacer.join?.(request) ?? Promise.resolve(),
    sendingNow: (request, heldMs) => pacer.sendingNow?.(request, heldMs) ?? Promise.resolve(0),
    withdraw(ticket, budgets) {
      firstAsked.delete(ticket);
      return pacer.withdraw(ticket, budgets);
    },
    tryReserveNow: (budgets, options) => pacer.tryReserveNow(budgets, options),
    holdOff: (budgets, delayMs) => pacer.holdOff(budgets, delayMs),
  };
}
