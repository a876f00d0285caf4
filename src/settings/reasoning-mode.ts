import { SettingsValidationError } from './settings-validation-error.ts';

/**
 * How a channel shows a reasoning model's thinking: `off` (not asked for), `status` ("thinking…"
 * with the time so far), `summary` (the latest line of the thinking, small, while it streams) or
 * `full` (the status while it streams, then the whole reasoning as a file beside the answer).
 */
export const REASONING_MODES = ['off', 'status', 'summary', 'full'] as const;
export type ReasoningMode = (typeof REASONING_MODES)[number];

/** What a channel shows when nobody chose. */
export const DEFAULT_REASONING_MODE: ReasoningMode = 'status';

export function isReasoningMode(value: string): value is ReasoningMode {
  return (REASONING_MODES as readonly string[]).includes(value);
}

export function validateReasoningMode(value: string): ReasoningMode {
  const mode = value.trim().toLowerCase();
  if (!isReasoningMode(mode)) throw new SettingsValidationError(`"${value}" is not a reasoning mode; use one of ${REASONING_MODES.join(', ')}.`);
  return mode;
}
