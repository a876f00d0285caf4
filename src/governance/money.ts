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

/** "$1.23", "$0.0042": amounts under a dollar keep up to four decimals so small answers do not read as free. */
export function formatUsd(nano: number): string {
  const usd = nanoToUsd(nano);
  const abs = Math.abs(usd);
  return `${usd < 0 ? '-' : ''}$${abs.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: abs < 1 ? 4 : 2 })}`;
}

/** "$2", "2.50", "$0.75" → nano-dollars; undefined when it is not an amount. */
export function parseUsd(text: string): number | undefined {
  const match = /^\$?(\d+(?:\.\d+)?)\$?$/.exec(text.trim());
  if (!match?.[1]) return undefined;
  return usdToNano(Number(match[1]));
}
