/**
 * A failure a person can fix, already worded for them: main prints the message alone (no stack, no
 * error class name) and exits with `exitCode`.
 */
export class UserFacingError extends Error {
  override name = 'UserFacingError';
  readonly exitCode: number;
  constructor(message: string, options: { exitCode?: number; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.exitCode = options.exitCode ?? 1;
  }
}
