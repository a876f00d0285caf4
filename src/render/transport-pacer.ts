import type { WritePacer } from './write-budget.ts';

/**
 * The pacer a process's platform clients draw their bot-wide budget from, for every request they
 * send (reads and acknowledgments too, not only the renderer's writes): Discord counts every
 * request against 50 a second per bot, across all of the bot's processes. The role that builds the
 * shared (Redis) pacer registers it here once; until then clients are not gated.
 */
let shared: WritePacer | undefined;

export function shareTransportPacer(pacer: WritePacer | undefined): void {
  shared = pacer;
}

export function transportPacer(): WritePacer | undefined {
  return shared;
}
