import type { ChannelBudget } from './channel-pacer.ts';

/**
 * The slot arithmetic both pacers share (the Redis one runs the same steps in Lua): a sliding log
 * of the last `editsPerWindow` reserved slot times. A new slot is the latest of now, the newest
 * slot (first come, first served) and the oldest logged slot plus the window, so no window of
 * `windowMs` ever holds more than `editsPerWindow` slots, yet a quiet channel answers at once.
 *
 * A slot that has to wait anyway is also kept `windowMs / editsPerWindow` after the newest one:
 * a busy channel then gets evenly spaced writes instead of a burst at each window start, so
 * answers take turns in the order they asked (in a burst they would race, and the same one could
 * lose every time).
 */
export interface PaceState {
  /** No slot before this time (a 429's retry-after). */
  holdUntil: number;
  /** Reserved slot times, ascending, at most `editsPerWindow` of them. */
  slots: number[];
}

/** The earliest slot this state allows at `now`; every rule is a lower bound, so any later slot is allowed too. */
export function planSlot(state: PaceState, now: number, budget: ChannelBudget): number {
  const limit = Math.max(1, Math.floor(budget.editsPerWindow));
  while (state.slots.length > limit) state.slots.shift();
  let slot = Math.max(now, state.holdUntil, state.slots.at(-1) ?? now);
  if (state.slots.length === limit) slot = Math.max(slot, (state.slots[0] ?? now) + budget.windowMs);
  const newest = state.slots.at(-1);
  // "Has to wait" means a whole millisecond or more, as on Redis's millisecond clock.
  if (slot - now >= 1 && newest !== undefined) slot = Math.max(slot, newest + budget.windowMs / limit);
  // Whole milliseconds, as in Redis: no float drift can squeeze one more slot into a window.
  return Math.ceil(slot);
}

/** Records a granted slot (at or after `planSlot`'s answer) in the sliding log. */
export function commitSlot(state: PaceState, slot: number, budget: ChannelBudget): void {
  const limit = Math.max(1, Math.floor(budget.editsPerWindow));
  state.slots.push(slot);
  while (state.slots.length > limit) state.slots.shift();
}

export function holdSlots(state: PaceState, now: number, delayMs: number): void {
  state.holdUntil = Math.max(state.holdUntil, now + Math.max(0, delayMs));
}

/** True once nothing in the state can delay a future reservation. */
export function isSpent(state: PaceState, now: number, budget: ChannelBudget): boolean {
  return state.holdUntil <= now && (state.slots.at(-1) ?? -Infinity) + budget.windowMs <= now;
}
