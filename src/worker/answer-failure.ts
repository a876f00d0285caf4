import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import { describeLlmError, LlmError } from '../llm/index.ts';
import type { Logger } from '../observability/logger.ts';
import type { ProgressiveMessage } from '../render/index.ts';
import { isPermanentRefusal, type MessageRef } from '../render/surface.ts';
import type { ChatAnswerResult } from './answer-result.ts';

/** What an answer that threw should do, decided from why it stopped. */
export type FailureAction =
  /** The job's lock was lost: another worker owns it now. Write nothing more, not even an error. */
  | { kind: 'lock-lost' }
  /** The platform will not take the answer: nothing more can be written there. */
  | { kind: 'refused'; reason: string; refusal: unknown }
  /** Someone pressed Stop. */
  | { kind: 'stopped' }
  /** The worker shuts down: hand the job back, to be redone in the same message. */
  | { kind: 'shutdown' }
  /** Something below the model broke (a Redis blip, a platform outage): the whole job runs again. */
  | { kind: 'retry-job'; attemptsLeft: number }
  /** Show the reason in the answer and end it. */
  | { kind: 'show-error'; reason: string };

export interface FailureState {
  /** BullMQ's signal fired without a cancel or a shutdown: the lock went elsewhere. */
  lockLost: boolean;
  /** Set when the platform refused the answer, with the refusal. */
  refusal: { error: unknown } | undefined;
  cancelled: boolean;
  shuttingDown: boolean;
  /** Attempts BullMQ would still make after this one. */
  attemptsLeft: number;
  /** A tool ran: a new attempt would start from the first round and run it again. */
  toolsRan: boolean;
  /** The model's answer is complete, and paid for: a new attempt would pay for it again. */
  answered: boolean;
}

/** Decides what a failed answer does; pure, in order of precedence. */
export function classifyFailure(error: unknown, state: FailureState): FailureAction {
  if (state.lockLost) return { kind: 'lock-lost' };
  if (state.refusal) return { kind: 'refused', reason: readableError(state.refusal.error), refusal: state.refusal.error };
  if (state.cancelled) return { kind: 'stopped' };
  if (state.shuttingDown) return { kind: 'shutdown' };
  // A retry starts over from the first round; once tools have run (perhaps approved, perhaps with
  // side effects) that would run them again, and once the model has answered it would pay for the
  // answer twice, so such an answer ends with the error instead.
  if (isInfrastructureError(error) && state.attemptsLeft > 0 && !state.toolsRan && !state.answered) {
    return { kind: 'retry-job', attemptsLeft: state.attemptsLeft };
  }
  return { kind: 'show-error', reason: readableError(error) };
}

/** Things that go wrong below the model (Redis blips, a platform outage) retry the whole job. */
export function isInfrastructureError(error: unknown): boolean {
  return !isPermanentRefusal(error) && !(error instanceof LlmError) && !(error instanceof UnrecoverableError);
}

/** One line for the chat; never a stack trace or a secret. */
export function readableError(error: unknown): string {
  if (error instanceof LlmError) return describeLlmError(error);
  if (error instanceof Error && error.name === 'ZodError') return 'the request was malformed';
  if (error instanceof Error && isPermanentRefusal(error)) return `the chat platform refused the message: ${error.message}`;
  return 'something went wrong on our side; please try again';
}

export interface SettleContext {
  message: Pick<ProgressiveMessage, 'finish' | 'abandon' | 'flush' | 'setNotice' | 'refs'>;
  job: Pick<Job, 'moveToWait'>;
  token: string | undefined;
  rounds: number;
  log: Logger;
}

/**
 * Carries out a failure action: ends the answer with its result, or throws so BullMQ retries the
 * job (`retry-job`), hands it back (`shutdown`, as `WaitingError`) or lets it go (`lock-lost`).
 */
export async function settleFailure(action: FailureAction, error: unknown, context: SettleContext): Promise<ChatAnswerResult> {
  const { message, log, rounds } = context;
  switch (action.kind) {
    case 'lock-lost':
      log.warn('lost the job lock mid-answer; leaving the message to the worker that owns it');
      await message.abandon();
      throw error;
    case 'refused':
      log.error({ err: action.refusal }, 'the platform refused the answer; giving up');
      return { outcome: 'error', chars: 0, rounds, messages: message.refs, error: action.reason };
    case 'stopped': {
      log.info('answer stopped by user');
      const refs = await message.finish({ outcome: 'stopped', controls: { kind: 'none' } });
      return { outcome: 'stopped', chars: 0, rounds, messages: refs };
    }
    case 'shutdown':
      log.warn('shutting down mid-answer; returning the job to the queue');
      await message.abandon();
      if (context.token) await context.job.moveToWait(context.token);
      throw new WaitingError();
    case 'retry-job':
      log.warn({ err: error, attemptsLeft: action.attemptsLeft }, 'answer failed; the job will be retried');
      message.setNotice('⚠️ hit a snag; retrying…');
      await message.flush().catch(() => {});
      await message.abandon();
      throw error;
    case 'show-error': {
      log.error({ err: error, reason: action.reason }, 'answer failed');
      const refs = await message.finish({ outcome: 'error', reason: action.reason, controls: { kind: 'none' } }).catch((finishError: unknown) => {
        log.error({ err: finishError }, 'could not show the error in the chat');
        return [] as MessageRef[];
      });
      return { outcome: 'error', chars: 0, rounds, messages: refs, error: action.reason };
    }
  }
}
