import { userInfo } from 'node:os';
import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { createCore } from '../runtime/core.ts';
import { startWorkerRole } from '../runtime/worker-role.ts';
import type { ChatAnswerResult } from '../worker/processor.ts';
import { askInTerminal, createTerminalPorts } from '../../adapters/terminal/index.ts';
import type { TerminalOutput } from '../../adapters/terminal/surface.ts';

/**
 * `ofox-bot ask "question"`: the whole pipeline with no chat platform. A real job goes through Redis
 * to a worker in this process, and the answer renders in place as it streams (tool lines included).
 */
export async function runAsk(prompt: string, config: Config, log: Logger, env: Record<string, string | undefined>, output: TerminalOutput): Promise<ChatAnswerResult> {
  const core = await createCore({ config, log, env });
  const ports = createTerminalPorts(output);
  const workers = await startWorkerRole(core, [ports], { instances: 1, concurrency: 4 });
  try {
    const user = safeUserName();
    const queued = await askInTerminal(core.ingress, ports.surface, { prompt, user });
    if (queued.status !== 'queued') return { outcome: 'error', chars: 0, rounds: 0, messages: [], error: `the question was not queued (${queued.status})` };
    const { jobId } = queued;
    const stop = () => void core.ingress.cancel(jobId, user);
    process.once('SIGINT', stop);
    try {
      return await waitForCompletion(core.producer.queue, jobId);
    } finally {
      process.off('SIGINT', stop);
    }
  } finally {
    await workers.stop(1_000);
    await core.close();
  }
}

async function waitForCompletion(queue: { getJob(id: string): Promise<{ getState(): Promise<string>; returnvalue: unknown; failedReason?: string } | undefined> }, jobId: string): Promise<ChatAnswerResult> {
  for (;;) {
    const job = await queue.getJob(jobId);
    const state = await job?.getState();
    // Read again: the job object may predate its completion.
    if (state === 'completed') return (await queue.getJob(jobId))!.returnvalue as ChatAnswerResult;
    if (state === 'failed') return { outcome: 'error', chars: 0, rounds: 0, messages: [], error: job?.failedReason ?? 'failed' };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function safeUserName(): string {
  try {
    return userInfo().username || 'terminal-user';
  } catch {
    return 'terminal-user';
  }
}
