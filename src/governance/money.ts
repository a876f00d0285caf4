/**
 * Money is counted in whole nano-dollars (1e-9 USD): a cheap model's token costs a fraction of a
 * micro-dollar, and Redis counters are integers, so this keeps every sum exact and atomic.
 */
export const NANO_PER_USD = 1_000_000_000;

export function usdToNano(usd: number): number {
  return Math.round(usd * NANO_PER_USD);
}

export function nanoToUsd(nano: number): number {
  return nano / NANO_PER_USD;
}

/** "$1.23"; amounts under a cent keep four decimals ("$0.0042") so small answers do not read as free. */
export function formatUsd(nano: number): string {
  const usd = nanoToUsd(nano);
  const abs = Math.abs(usd);
  const digits = abs !== 0 && abs < 0.01 ? 4 : 2;
  return `${usd < 0 ? '-' : ''}$${abs.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`;
}

/** "$2", "2.50", "$0.75" → nano-dollars; undefined when it is not an amount. */
export function parseUsd(text: string): number | undefined {
  const match = /^\$?(\d+(?:\.\d+)?)\$?$/.exec(text.trim());
  if (!match?.[1]) return undefined;
  return usdToNano(Number(match[1]));
}
