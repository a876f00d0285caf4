import type { Logger } from '../observability/logger.ts';
import type { ChatJob } from '../queue/chat-job.ts';
import type { ProgressiveMessage } from '../render/index.ts';
import type { MessageRef } from '../render/surface.ts';
import type { UsageRecord } from '../usage/types.ts';
import type { AgentResult } from './agent-loop.ts';

/** Shown when the model ended without a word, so the answer never looks stuck. */
export const EMPTY_ANSWER_TEXT = '_(the model returned an empty answer)_';

/**
 * The final write of an answer the model completed: its text, a footer saying how it ended (the
 * round limit, the length limit, a regenerated stream) and the feedback buttons.
 */
export function finishAnswer(
  message: Pick<ProgressiveMessage, 'setBody' | 'finish'>,
  result: AgentResult,
  options: { jobId: string; maxRounds: number; costText?: string | undefined },
): Promise<MessageRef[]> {
  // An answer the budget stopped before its first round has no text, and says why in its footer.
  if (!result.text.trim() && !result.stoppedReason) message.setBody(EMPTY_ANSWER_TEXT);
  const ending = result.hitRoundLimit ? `stopped after ${options.maxRounds} rounds of tool calls` : (result.stoppedReason ?? finishNote(result.finishReason));
  const notes = [ending, options.costText ? `cost ${options.costText}` : undefined].filter((note) => note);
  return message.finish({
    outcome: result.hitRoundLimit ? 'error' : result.stoppedReason ? 'stopped' : 'complete',
    reason: notes.join(' · ') || undefined,
    retried: result.retried,
    controls: { kind: 'feedback', jobId: options.jobId },
  });
}

/**
 * Prices and charges the answer against its budgets, when governance runs. Never throws: an
 * answer the ledger missed is still an answer (the failure is logged).
 */
export async function chargeAnswer(
  meter: { finish(result: AgentResult): Promise<{ costNanoUsd: number; costText?: string }> } | undefined,
  result: AgentResult,
  log: Logger,
): Promise<{ costNanoUsd?: number; costText?: string }> {
  if (!meter) return {};
  try {
    return await meter.finish(result);
  } catch (error) {
    log.warn({ err: error }, 'answer not charged to the budget');
    return {};
  }
}

/** What the model's own finish reason means for someone reading the answer. */
export function finishNote(reason: AgentResult['finishReason']): string | undefined {
  if (reason === 'length') return 'the answer hit the output length limit';
  if (reason === 'content-filter') return 'the answer was cut by the content filter';
  return undefined;
}

/**
 * Counts the answer against its user and channel, once per answer with its model, the tokens of
 * every round (cached ones apart) and its price. A failure is logged, never shown: the answer itself is done.
 */
export async function recordUsage(
  usage: { record(record: UsageRecord): Promise<void> } | undefined,
  job: ChatJob,
  result: Pick<AgentResult, 'inputTokens' | 'outputTokens' | 'cachedInputTokens' | 'cacheWriteTokens'> & { model: string },
  costNanoUsd: number | undefined,
  log: Logger,
): Promise<void> {
  await usage
    ?.record({
      platform: job.platform,
      workspaceId: job.workspaceId,
      channelId: job.channelId,
      userId: job.userId,
      requests: 1,
      model: result.model,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
      cachedInputTokens: result.cachedInputTokens,
      cacheWriteTokens: result.cacheWriteTokens,
      ...(costNanoUsd !== undefined ? { costNanoUsd } : {}),
    })
    .catch((error: unknown) => log.warn({ err: error }, 'usage not recorded'));
}
