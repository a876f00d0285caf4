import { available, giveBack, hold, isIdle, moveGrant, newBudgetState, refresh, stillCounts, take, timeUntil, type BudgetState } from './budget-state.ts';
import { systemClock, type Clock } from './clock.ts';
import { RecentGrants } from './recent-grants.ts';
import { CLASS_HANDICAP_MS, JOIN_LEASE_MS, RESERVED_FOR_PRIORITY, STALE_GRANT_RETRY_MS, sendableGrantMs, type PermitRequest, type WriteBudget, type WritePacer } from './write-budget.ts';

export interface LocalWritePacerOptions {
  /** @defaultValue systemClock */
  clock?: Clock;
}

/** How long a waiting ticket keeps its place after it last asked (its holder may have died). */
export const TICKET_LEASE_MS = 5_000;
/** Longest wait handed back: priorities change while waiting, so ask again at least this often. */
export const MAX_PERMIT_WAIT_MS = 2_000;

/** Tokens to leave in each budget: one number for all, or one per budget. */
export function spares(budgets: readonly WriteBudget[], spare: number | readonly number[] | undefined): number[] {
  return budgets.map((_, index) => Math.max(0, Math.floor((typeof spare === 'number' ? spare : spare?.[index]) ?? 0)));
}

interface Waiting {
  /** Waiting start plus the class's handicap; lower goes first. */
  rank: number;
  since: number;
  leaseUntil: number;
}

// Forget budgets nobody used lately once this many are tracked, so memory follows activity.
const FIRST_SWEEP_AT_SIZE = 512;

/**
 * The pacing model within one process: right for the terminal, tests, and as the fallback when
 * Redis is unreachable; with several workers it only knows its own share of the traffic. Same
 * rules as the Redis pacer (see `write-budget.ts`).
 */
export class LocalWritePacer implements WritePacer {
  private readonly clock: Clock;
  private readonly states = new Map<string, { state: BudgetState; budget: WriteBudget }>();
  private readonly queues = new Map<string, Map<string, Waiting>>();
  private sweepAtSize = FIRST_SWEEP_AT_SIZE;
  /** Each ticket's last grant, for `sendingNow`. */
  private readonly grants = new RecentGrants<{ at: number; since: number }>();

  constructor(options: LocalWritePacerOptions = {}) {
    this.clock = options.clock ?? systemClock;
  }

  async acquire(request: PermitRequest): Promise<number> {
    const primary = request.budgets[0];
    if (!primary) return 0;
    const now = this.clock.now();
    const queue = this.queueFor(primary.key, now);
    const previous = queue.get(request.ticket);
    const since = previous?.since ?? now;
    const entry: Waiting = { rank: since + CLASS_HANDICAP_MS[request.writeClass], since, leaseUntil: now + TICKET_LEASE_MS };
    queue.set(request.ticket, entry);
    let ahead = 0;
    for (const [ticket, other] of queue) if (ticket !== request.ticket && (other.rank < entry.rank || (other.rank === entry.rank && ticket < request.ticket))) ahead += 1;
    const states = request.budgets.map((budget) => this.stateFor(budget, now));
    const reserve = RESERVED_FOR_PRIORITY[request.writeClass];
    const needs = request.budgets.map((_, index) => (index === 0 ? ahead + 1 : 1) + reserve);
    const granted = states.every((state, index) => available(state, request.budgets[index]!, now) >= needs[index]!);
    if (granted) {
      states.forEach((state, index) => take(state, request.budgets[index]!, now));
      queue.delete(request.ticket);
      this.grants.remember(request.ticket, { at: now, since }, now);
      return 0;
    }
    const wait = Math.max(...states.map((state, index) => timeUntil(state, request.budgets[index]!, now, needs[index]!)));
    const bounded = Math.min(MAX_PERMIT_WAIT_MS, Math.max(1, Math.ceil(wait)));
    entry.leaseUntil = now + bounded + TICKET_LEASE_MS;
    return bounded;
  }

  async sendingNow(request: PermitRequest, heldMs: number): Promise<number> {
    const grant = this.grants.take(request.ticket);
    const primary = request.budgets[0];
    if (!grant || !primary || heldMs <= sendableGrantMs(request.budgets)) return 0;
    const now = this.clock.now();
    const states = request.budgets.map((budget) => this.stateFor(budget, now));
    // A token that left its window is taken afresh if there is room (a window that never counted it may be full now).
    const movable = (state: BudgetState, budget: WriteBudget): boolean => stillCounts(state, budget, grant.at) || available(state, budget, now) >= 1;
    if (states.every((state, index) => movable(state, request.budgets[index]!))) {
      states.forEach((state, index) => moveGrant(state, request.budgets[index]!, grant.at, now));
      return 0;
    }
    // No room: the rest go back, and the write asks again, keeping its place.
    states.forEach((state, index) => giveBack(state, request.budgets[index]!, grant.at));
    this.queueFor(primary.key, now).set(request.ticket, { rank: grant.since + CLASS_HANDICAP_MS[request.writeClass], since: grant.since, leaseUntil: now + TICKET_LEASE_MS });
    return STALE_GRANT_RETRY_MS;
  }

  async join(request: Omit<PermitRequest, 'writeClass'>): Promise<void> {
    const primary = request.budgets[0];
    if (!primary) return;
    const now = this.clock.now();
    const queue = this.queueFor(primary.key, now);
    if (!queue.has(request.ticket)) queue.set(request.ticket, { rank: now + CLASS_HANDICAP_MS['first-text'], since: now, leaseUntil: now + JOIN_LEASE_MS });
  }

  async withdraw(ticket: string, budgets: readonly WriteBudget[]): Promise<void> {
    this.grants.forget(ticket);
    const primary = budgets[0];
    if (primary) this.queues.get(primary.key)?.delete(ticket);
  }

  async tryReserveNow(budgets: readonly WriteBudget[], options: { spare?: number | readonly number[] } = {}): Promise<boolean> {
    const primary = budgets[0];
    if (!primary) return true;
    const now = this.clock.now();
    if (this.queueFor(primary.key, now).size > 0) return false;
    const spare = spares(budgets, options.spare);
    const states = budgets.map((budget) => this.stateFor(budget, now));
    if (!states.every((state, index) => available(state, budgets[index]!, now) >= 1 + spare[index]!)) return false;
    states.forEach((state, index) => take(state, budgets[index]!, now));
    return true;
  }

  async holdOff(budgets: readonly WriteBudget[], delayMs: number): Promise<void> {
    const now = this.clock.now();
    for (const budget of budgets) hold(this.stateFor(budget, now), budget, now, delayMs);
  }

  /** A queue without its expired tickets. */
  private queueFor(key: string, now: number): Map<string, Waiting> {
    let queue = this.queues.get(key);
    if (!queue) {
      queue = new Map();
      this.queues.set(key, queue);
    }
    for (const [ticket, waiting] of queue) if (waiting.leaseUntil <= now) queue.delete(ticket);
    return queue;
  }

  private stateFor(budget: WriteBudget, now: number): BudgetState {
    let entry = this.states.get(budget.key);
    if (!entry) {
      if (this.states.size >= this.sweepAtSize) this.sweep(now);
      entry = { state: newBudgetState(budget, now), budget };
      this.states.set(budget.key, entry);
    }
    entry.budget = budget;
    refresh(entry.state, budget, now);
    return entry.state;
  }

  private sweep(now: number): void {
    for (const [key, entry] of this.states) if (isIdle(entry.state, entry.budget, now)) this.states.delete(key);
    for (const [key, queue] of this.queues) if (queue.size === 0) this.queues.delete(key);
    this.sweepAtSize = Math.max(FIRST_SWEEP_AT_SIZE, this.states.size * 2);
  }
}
