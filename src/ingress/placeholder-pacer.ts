import type { Inbound } from './inbound.ts';

/**
 * The one question ingress asks the pacer before it posts a placeholder: may a message be written
 * in this channel right now, without waiting? A placeholder is a courtesy; when the channel's
 * budget is spent, the worker's first write carries real text instead, and the acknowledgment
 * (typing, a status) still tells the asker the request arrived. Must answer quickly and never
 * reject; an implementation that cannot reach shared state says no (the placeholder is optional,
 * and a write no other process counts could push the channel past its limit).
 */
export interface PlaceholderPacer {
  /** `channelKey` is the pacing key the platform's surface writes under (`Surface.channelKey`). */
  mayPostNow(inbound: Inbound, channelKey: string): Promise<boolean>;
}

/** Every placeholder is posted: the behaviour until a pacer is plugged in. */
export const ALWAYS_POST_PLACEHOLDER: PlaceholderPacer = {
  async mayPostNow() {
    return true;
  },
};
