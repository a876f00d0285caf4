import type { Governance } from '../../src/governance/index.ts';
import { chatJobSchema } from '../../src/queue/chat-job.ts';
import type { UsageStore } from '../../src/usage/usage-store.ts';

export interface AnswerScope {
  platform: string;
  workspaceId: string;
  channelId: string;
  userId: string;
}

/**
 * Charges and records one answer exactly as the worker's finish step does (reserve before the
 * round, settle at the finish, then the usage record with model, tokens and price).
 */
export async function recordAnswer(
  governance: Governance,
  usage: UsageStore,
  scope: AnswerScope,
  model: string,
  tokens: { input: number; output: number; cached?: number },
): Promise<number> {
  const job = chatJobSchema.parse({ v: 1, eventId: `seed-${Math.random()}`, ...scope, prompt: 'seed', createdAt: Date.now() });
  const meter = governance.answers.start({ job, jobId: `seed:${job.eventId}`, model, maxOutputTokens: 10 });
  const verdict = await meter.beforeRound({ round: 1, usage: { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 }, estimatedInputTokens: 10 });
  if (!verdict.proceed) throw new Error(`the seeded answer was refused: ${verdict.reason}`);
  const result = {
    text: 'seeded',
    rounds: 1,
    inputTokens: tokens.input,
    outputTokens: tokens.output,
    cachedInputTokens: tokens.cached ?? 0,
    cacheWriteTokens: 0,
    finishReason: 'stop' as const,
    hitRoundLimit: false,
    retried: false,
  };
  const { costNanoUsd } = await meter.finish(result);
  await usage.record({ ...scope, model, requests: 1, inputTokens: tokens.input, outputTokens: tokens.output, cachedInputTokens: tokens.cached ?? 0, costNanoUsd });
  return costNanoUsd;
}
