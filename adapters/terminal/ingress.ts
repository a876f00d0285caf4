import { randomUUID } from 'node:crypto';
import { createIngressPipeline, type Inbound, type IngressOutcome, type IngressServices } from '../../src/ingress/index.ts';
import type { TerminalSurface } from './surface.ts';

/** What the terminal says when the question could not be queued (Redis away, most likely). */
export const TERMINAL_FAILED_TEXT = 'Could not start on that question: is Redis running? (see `ofox-bot doctor`)';

/** Drawn while Redis is unreachable and the question waits for it (replaced by the answer). */
export const TERMINAL_WAITING_TEXT = 'Waiting for Redis…';

/**
 * `ofox-bot ask`: one question from the person at the terminal, through the same ingress pipeline
 * as every platform (claim, gate, placeholder, job, enqueue). The placeholder is drawn in place and
 * the answer replaces it.
 */
export function askInTerminal(services: IngressServices, surface: TerminalSurface, question: { prompt: string; user: string; model?: string; channelId?: string }): Promise<IngressOutcome> {
  const inbound: Inbound = {
    platform: 'terminal',
    eventId: `ask-${randomUUID()}`,
    workspaceId: 'terminal',
    channelId: question.channelId ?? 'terminal',
    user: { id: question.user, name: question.user, groups: [], isAdmin: true },
    isDirect: true,
    prompt: question.prompt,
    attachments: [],
    ...(question.model ? { model: question.model } : {}),
    trigger: 'ask',
  };
  return createIngressPipeline({ services }).accept(inbound, {
    waiting: {
      key: () => surface.channelKey,
      show: async () => void (await surface.create(TERMINAL_WAITING_TEXT)),
    },
    placeholder: {
      channelKey: () => surface.channelKey,
      post: () => surface.create('…'),
    },
    async showFailure(_inbound, placeholder) {
      if (placeholder) await surface.edit(placeholder, TERMINAL_FAILED_TEXT, { final: true });
      else await surface.create(TERMINAL_FAILED_TEXT, { final: true });
    },
    async notifyPrivately(_inbound, text) {
      await surface.create(text, { final: true });
    },
  });
}
