/** Budgets run per UTC day and per UTC calendar month. */
export type BudgetPeriod = 'day' | 'month';

export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['day', 'month'];

/** The period's name in keys and reports: `2026-12-01` or `2026-12`. */
export function periodId(period: BudgetPeriod, at: number): string {
  const iso = new Date(at).toISOString();
  return period === 'day' ? iso.slice(0, 10) : iso.slice(0, 7);
}

/** When the period that contains `at` ends (epoch ms). */
export function periodResetsAt(period: BudgetPeriod, at: number): number {
  const date = new Date(at);
  if (period === 'day') return Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate() + 1);
  return Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
}

/** How long a period's counter is worth keeping: the period plus a margin for reports. */
export function periodTtlSeconds(period: BudgetPeriod): number {
  return period === 'day' ? 8 * 86_400 : 62 * 86_400;
}

/** "00:00 UTC (in 3 h 12 min)" or "Jan 1, 00:00 UTC (in 12 days)". */
export function describeReset(period: BudgetPeriod, at: number): string {
  const resetsAt = periodResetsAt(period, at);
  const left = resetsAt - at;
  const when = period === 'day' ? '00:00 UTC' : `${new Date(resetsAt).toLocaleString('en-US', { month: 'short', day: 'numeric', timeZone: 'UTC' })}, 00:00 UTC`;
  return `${when} (in ${describeDuration(left)})`;
}

export function describeDuration(ms: number): string {
  if (ms < 60_000) return `${Math.max(1, Math.ceil(ms / 1000))} s`;
  const minutes = Math.ceil(ms / 60_000);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.round(hours / 24)} days`;
}

export function periodAdjective(period: BudgetPeriod): string {
  return period === 'day' ? 'daily' : 'monthly';
}
