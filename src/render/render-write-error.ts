import type { MessageRef } from './surface.ts';

/**
 * A write `finish` (or `flush`) waited for kept failing past its bounded retries. The job should be
 * retried as a whole; `refs` are the answer's messages, so the retry edits them instead of posting anew.
 */
export class RenderWriteError extends Error {
  override name = 'RenderWriteError';
  /** Every message of the answer that exists on the platform. */
  readonly refs: MessageRef[];
  constructor(message: string, options: { cause?: unknown; refs: MessageRef[] }) {
    super(message, { cause: options.cause });
    this.refs = options.refs;
  }
}
