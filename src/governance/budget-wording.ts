import type { LedgerShortfall } from './budget-ledger.ts';
import { describeReset, periodAdjective } from './budget-periods.ts';
import { formatUsd } from './money.ts';

function owner(kind: LedgerShortfall['line']['kind']): string {
  return kind === 'user' ? 'Your' : kind === 'channel' ? "This channel's" : "This workspace's";
}

function amount(unit: LedgerShortfall['unit'], value: number): string {
  return unit === 'usd' ? formatUsd(value) : `${Math.max(0, value).toLocaleString('en-US')} tokens`;
}

/** Before enqueue: the budget is spent; what is left and when it resets. */
export function budgetRefusalText(shortfall: LedgerShortfall, now: number): string {
  const { line, unit, spent, limit } = shortfall;
  const left = Math.max(0, limit - spent);
  return `${owner(line.kind)} ${periodAdjective(line.period)} budget of ${amount(unit, limit)} is used up (${amount(unit, left)} left). It resets at ${describeReset(line.period, now)}.`;
}

/** Before a model round: the next round would pass the budget. Short: it ends up in a footer. */
export function budgetStopText(shortfall: LedgerShortfall, now: number): string {
  const { line, unit, spent, limit } = shortfall;
  const left = Math.max(0, limit - spent);
  return `budget reached: ${owner(line.kind).toLowerCase()} ${periodAdjective(line.period)} budget of ${amount(unit, limit)} has ${amount(unit, left)} left; it resets at ${describeReset(line.period, now)}`;
}
