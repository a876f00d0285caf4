import type { ChannelBudget, ChannelPacer } from './channel-pacer.ts';
import { systemClock, type Clock } from './clock.ts';
import { commitSlot, holdSlots, isSpent, planSlot, type PaceState } from './pace-slots.ts';

export interface LocalChannelPacerOptions {
  /** @defaultValue systemClock */
  clock?: Clock;
}

interface ChannelState extends PaceState {
  budget: ChannelBudget;
}

// Forget channels nobody wrote to lately once this many are tracked, so memory follows activity.
const FIRST_SWEEP_AT_SIZE = 512;

/**
 * Paces channels within one process. Right for the terminal, tests, and as the fallback when
 * Redis is unreachable; with several workers it only knows its own share of the traffic.
 */
export class LocalChannelPacer implements ChannelPacer {
  private readonly clock: Clock;
  private readonly channels = new Map<string, ChannelState>();
  // Doubles past what a sweep leaves, so sweeping stays amortized O(1) per new channel.
  private sweepAtSize = FIRST_SWEEP_AT_SIZE;

  constructor(options: LocalChannelPacerOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async reserve(channelKey: string, budget: ChannelBudget): Promise<number> {
    const now = this.clock.now();
    const channel = this.stateFor(channelKey, budget, now);
    const shared = budget.shared ? this.stateFor(`shared:${budget.shared.key}`, budget.shared, now) : undefined;
    // Both limits are lower bounds on the slot, so the later of the two satisfies both.
    const slot = Math.max(planSlot(channel, now, budget), shared && budget.shared ? planSlot(shared, now, budget.shared) : 0);
    commitSlot(channel, slot, budget);
    if (shared && budget.shared) commitSlot(shared, slot, budget.shared);
    return Math.max(0, slot - now);
  }

  async holdOff(channelKey: string, delayMs: number, budget: ChannelBudget): Promise<void> {
    const now = this.clock.now();
    holdSlots(this.stateFor(channelKey, budget, now), now, delayMs);
  }

  private stateFor(channelKey: string, budget: ChannelBudget, now: number): ChannelState {
    let state = this.channels.get(channelKey);
    if (!state) {
      if (this.channels.size >= this.sweepAtSize) this.sweep(now);
      state = { holdUntil: 0, slots: [], budget };
      this.channels.set(channelKey, state);
    }
    state.budget = budget;
    return state;
  }

  private sweep(now: number): void {
    for (const [key, state] of this.channels) {
      if (isSpent(state, now, state.budget)) this.channels.delete(key);
    }
    this.sweepAtSize = Math.max(FIRST_SWEEP_AT_SIZE, this.channels.size * 2);
  }
}
