import type { PermitRequest, WriteBudget, WritePacer } from '../../../src/render/write-budget.ts';

/** A real pacer with every ask, hold-off and withdrawal written down (budget keys joined by `+`). */
export class RecordingPacer implements WritePacer {
  /** `keys class` of every permit asked for, in order (a write that waited asks more than once). */
  readonly asks: string[] = [];
  /** `keys delayMs` of every hold-off. */
  readonly holdOffs: string[] = [];
  readonly withdrawals: string[] = [];
  /** `keys granted|refused` of every non-blocking ask (`tryReserveNow`). */
  readonly reserves: string[] = [];
  private readonly inner: WritePacer;

  constructor(inner: WritePacer) {
    this.inner = inner;
  }

  acquire(request: PermitRequest): Promise<number> {
    this.asks.push(`${keysOf(request.budgets)} ${request.writeClass}`);
    return this.inner.acquire(request);
  }

  async withdraw(ticket: string, budgets: readonly WriteBudget[]): Promise<void> {
    this.withdrawals.push(keysOf(budgets));
    await this.inner.withdraw(ticket, budgets);
  }

  async tryReserveNow(budgets: readonly WriteBudget[], options?: { spare?: number | readonly number[] }): Promise<boolean> {
    const granted = await this.inner.tryReserveNow(budgets, options);
    this.reserves.push(`${keysOf(budgets)} ${granted ? 'granted' : 'refused'}`);
    return granted;
  }

  async holdOff(budgets: readonly WriteBudget[], delayMs: number): Promise<void> {
    this.holdOffs.push(`${keysOf(budgets)} ${delayMs}`);
    await this.inner.holdOff(budgets, delayMs);
  }
}

export function keysOf(budgets: readonly WriteBudget[]): string {
  return budgets.map((budget) => budget.key).join('+');
}
