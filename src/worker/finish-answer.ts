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
  options: { jobId: string; maxRounds: number },
): Promise<MessageRef[]> {
  if (!result.text.trim()) message.setBody(EMPTY_ANSWER_TEXT);
  return message.finish({
    outcome: result.hitRoundLimit ? 'error' : 'complete',
    reason: result.hitRoundLimit ? `stopped after ${options.maxRounds} rounds of tool calls` : finishNote(result.finishReason),
    retried: result.retried,
    controls: { kind: 'feedback', jobId: options.jobId },
  });
}

/** What the model's own finish reason means for someone reading the answer. */
export function finishNote(reason: AgentResult['finishReason']): string | undefined {
  if (reason === 'length') return 'the answer hit the output length limit';
  if (reason === 'content-filter') return 'the answer was cut by the content filter';
  return undefined;
}

/**
 * Counts the answer against its user and channel, once per answer with the tokens of every
 * round. A failure is logged, never shown: the answer itself is done.
 */
export async function recordUsage(
  usage: { record(record: UsageRecord): Promise<void> } | undefined,
  job: ChatJob,
  result: Pick<AgentResult, 'inputTokens' | 'outputTokens'>,
  log: Logger,
): Promise<void> {
  await usage
    ?.record({
      platform: job.platform,
      workspaceId: job.workspaceId,
      channelId: job.channelId,
      userId: job.userId,
      requests: 1,
      inputTokens: result.inputTokens,
      outputTokens: result.outputTokens,
    })
    .catch((error: unknown) => log.warn({ err: error }, 'usage not recorded'));
}
