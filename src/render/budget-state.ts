import { ADAPT, pacedWindowMs, type WriteBudget } from './write-budget.ts';

/**
 * The arithmetic of one budget, as the local pacer runs it; the Redis pacer runs the same steps in
 * Lua (`redis-write-pacer.ts`), so keep the two in step. Times are milliseconds on one clock.
 */
export interface BudgetState {
  /** No token before this time (a 429's retry-after). */
  holdUntil: number;
  /** Adaptive budgets: the learned multiple of the published limit. */
  factor: number;
  /** Tokens granted since the factor last changed. */
  streak: number;
  /** `window`: grant times still inside the (stretched) window, ascending. */
  log: number[];
  /** `bucket`: tokens as of `updatedAt`. */
  tokens: number;
  updatedAt: number;
}

export function newBudgetState(budget: WriteBudget, now: number): BudgetState {
  return { holdUntil: 0, factor: 1, streak: 0, log: [], tokens: budget.limit, updatedAt: now };
}

function capacity(budget: WriteBudget, state: BudgetState): number {
  return Math.max(1, Math.floor(budget.limit * (budget.adaptive ? state.factor : 1)));
}

function stretchedWindow(budget: WriteBudget): number {
  return pacedWindowMs(budget);
}

/** Forgets what no longer limits anyone and refills a bucket up to `now`. */
export function refresh(state: BudgetState, budget: WriteBudget, now: number): void {
  const cap = capacity(budget, state);
  if (budget.kind === 'window') {
    const window = stretchedWindow(budget);
    while (state.log.length > 0 && (state.log[0] ?? 0) + window <= now) state.log.shift();
    while (state.log.length > cap) state.log.shift();
    return;
  }
  const elapsed = Math.max(0, now - state.updatedAt);
  state.tokens = Math.min(cap, state.tokens + (elapsed * cap) / stretchedWindow(budget));
  state.updatedAt = now;
}

/** Whole tokens available at `now` (after `refresh`), 0 while held. */
export function available(state: BudgetState, budget: WriteBudget, now: number): number {
  if (state.holdUntil > now) return 0;
  if (budget.kind === 'window') return Math.max(0, capacity(budget, state) - state.log.length);
  return Math.max(0, Math.floor(state.tokens + 1e-9));
}

/** Milliseconds until `count` tokens are available (after `refresh`). */
export function timeUntil(state: BudgetState, budget: WriteBudget, now: number, count: number): number {
  const held = Math.max(0, state.holdUntil - now);
  let wait: number;
  if (budget.kind === 'window') {
    const missing = count - (capacity(budget, state) - state.log.length);
    const entry = missing <= 0 ? undefined : state.log[missing - 1];
    wait = missing <= 0 ? 0 : entry === undefined ? stretchedWindow(budget) : entry + stretchedWindow(budget) - now;
  } else {
    const missing = count - state.tokens;
    wait = missing <= 0 ? 0 : (missing * stretchedWindow(budget)) / capacity(budget, state);
  }
  return Math.max(held, wait);
}

/** Spends one token; an adaptive budget that keeps being granted grows. */
export function take(state: BudgetState, budget: WriteBudget, now: number): void {
  if (budget.kind === 'window') state.log.push(now);
  else state.tokens -= 1;
  state.streak += 1;
  if (budget.adaptive && state.streak >= ADAPT.raiseAfterGrants) {
    state.factor = Math.min(ADAPT.maxFactor, state.factor + 1 / budget.limit);
    state.streak = 0;
  }
}

/** A granted token its write will not use goes back (`at`: when it was granted). */
export function giveBack(state: BudgetState, budget: WriteBudget, at: number): void {
  if (budget.kind === 'bucket') {
    state.tokens = Math.min(capacity(budget, state), state.tokens + 1);
    return;
  }
  const position = state.log.indexOf(at);
  if (position >= 0) state.log.splice(position, 1);
}

/** Whether the budget still counts the token granted at `at` (after `refresh`; a bucket's always is). */
export function stillCounts(state: BudgetState, budget: WriteBudget, at: number): boolean {
  return budget.kind === 'bucket' || state.log.includes(at);
}

/**
 * Moves the token granted at `at` to `now`, for a request that leaves only now; it stays inside
 * every window it was in, so no window that counted it can mind. One that left its window is
 * taken afresh (check `available` first). A bucket's token stays spent: taken early, it only
 * leaves the bucket fuller later.
 */
export function moveGrant(state: BudgetState, budget: WriteBudget, at: number, now: number): void {
  if (budget.kind === 'bucket') return;
  const position = state.log.indexOf(at);
  if (position >= 0) state.log.splice(position, 1);
  // `now` is the latest time yet: the log stays ascending.
  state.log.push(now);
}

/**
 * The platform refused (429) or said the budget is empty: nothing for `delayMs`; an adaptive budget
 * shrinks. A bucket keeps its tokens: the hold covers the platform's Retry-After, and emptying a
 * large bucket would stall it for long after.
 */
export function hold(state: BudgetState, budget: WriteBudget, now: number, delayMs: number): void {
  state.holdUntil = Math.max(state.holdUntil, now + Math.max(0, delayMs));
  if (budget.adaptive) {
    state.factor = state.factor > 1 ? Math.max(1, state.factor - ADAPT.stepsBackOn429 / budget.limit) : Math.max(ADAPT.minFactor, state.factor * ADAPT.shrinkAtFloor);
    state.streak = 0;
  }
}

/** True once the state is what a fresh one would be (and may be forgotten). */
export function isIdle(state: BudgetState, budget: WriteBudget, now: number): boolean {
  if (state.holdUntil > now || state.factor !== 1) return false;
  refresh(state, budget, now);
  return budget.kind === 'window' ? state.log.length === 0 : state.tokens >= capacity(budget, state);
}
