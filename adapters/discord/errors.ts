/**
 * Discord refused a write for good (too long, missing permission, no such channel): retrying the same
 * request cannot help. `permanent` lets the worker fail the job instead of retrying it.
 */
export class DiscordRejectedError extends Error {
  override name = 'DiscordRejectedError';
  readonly permanent = true;
  /** Discord's JSON error code (50035 Invalid Form Body, 50013 Missing Permissions, ...). */
  readonly code: number | string | undefined;
  readonly status: number | undefined;
  constructor(message: string, details: { code?: number | string; status?: number; cause?: unknown } = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = details.code;
    this.status = details.status;
  }
}
