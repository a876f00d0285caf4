export { backoffDelayMs } from './backoff.ts';
export type { BackoffOptions } from './backoff.ts';
export { abortableSleep } from './sleep.ts';
