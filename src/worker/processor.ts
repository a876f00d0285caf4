import type { Job } from 'bullmq';
import type { LlmClient } from '../llm/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { ChatJob } from '../queue/chat-job.ts';
import type { ChannelPacer } from '../render/index.ts';
import type { ResolvedSettings, SettingsReader } from '../settings/types.ts';
import type { UsageRecord } from '../usage/types.ts';
import { runAgentLoop, type AgentResult, type AgentTools, type UpstreamBudget } from './agent-loop.ts';
import { buildAnswerRequest, loadSettings, type SettingsOutcome } from './answer-context.ts';
import { classifyFailure, settleFailure } from './answer-failure.ts';
import { openAnswerMessage } from './answer-message.ts';
import type { ChatAnswerResult } from './answer-result.ts';
import { finishAnswer, recordUsage } from './finish-answer.ts';
import type { PlatformPorts } from './ports.ts';
import { readJob } from './read-job.ts';

export type { ChatAnswerResult } from './answer-result.ts';

/** Builds the tools one answer may use (the channel's enabled tools, with approval wired to the platform). */
export interface AnswerToolsFactory {
  forAnswer(job: ChatJob, jobId: string, settings: ResolvedSettings, ports: PlatformPorts): AgentTools;
}

/** Fires when someone stops a job (the worker's `CancelListener`). */
export interface CancelWatcher {
  watch(jobId: string): Promise<{ signal: AbortSignal; release(): void }>;
}

export interface ChatProcessorDeps {
  llm: LlmClient;
  platforms: ReadonlyMap<string, PlatformPorts>;
  settings: SettingsReader;
  tools: AnswerToolsFactory;
  pacer: ChannelPacer;
  cancels: CancelWatcher;
  budget?: UpstreamBudget;
  usage?: { record(record: UsageRecord): Promise<void> };
  /** Fires on shutdown past the grace period: running answers are handed back to the queue. */
  shutdownSignal: AbortSignal;
  log: Logger;
  defaults: {
    model: string;
    maxRounds: number;
    contextTokenBudget: number;
    attachmentTextMaxBytes: number;
    maxOutputTokens?: number;
    fallbackModels?: string[];
  };
}

/** The parts of a BullMQ job an answer uses; a plain object will do in tests. */
export type AnswerJob = Pick<Job, 'id' | 'data' | 'opts' | 'attemptsMade' | 'updateData' | 'moveToWait'>;

/**
 * One chat job, in named steps: read the job → settings (with the cancel watch) → the answer's
 * message → the model request → the agent loop → finish (final write, usage) — or, when anything
 * throws, classify the failure and settle it.
 */
export function createChatProcessor(deps: ChatProcessorDeps) {
  return async function processChatJob(job: AnswerJob, token?: string, bullSignal?: AbortSignal): Promise<ChatAnswerResult> {
    const jobId = job.id ?? 'unknown';
    const { data, ports, log } = readJob(jobId, job.data, deps.platforms, deps.log);
    const surface = ports.surfaceFor(data);
    // Both are Redis round trips before the model request; neither needs the other.
    const [cancel, settings] = await Promise.all([deps.cancels.watch(jobId), loadSettings(deps.settings, data)]);
    const refused = new AbortController();
    const signal = AbortSignal.any([cancel.signal, deps.shutdownSignal, refused.signal, ...(bullSignal ? [bullSignal] : [])]);
    const message = openAnswerMessage({ job, data, jobId, surface, pacer: deps.pacer, log, onRefused: (error) => refused.abort(error) });
    // "Typing…" until the first token (platforms clear it on the next post or after a few seconds).
    void surface.typing?.().catch(() => {});

    const progress = { rounds: 0, toolsRan: false, answered: false };
    try {
      const result = await answer(deps, { data, jobId, ports, settings, signal, view: message, log, progress });
      progress.rounds = result.rounds;
      progress.answered = true;
      // The answer is paid for whether or not its final write lands, so usage does not wait on it.
      const [refs] = await Promise.all([finishAnswer(message, result, { jobId, maxRounds: deps.defaults.maxRounds }), recordUsage(deps.usage, data, result, log)]);
      log.info(
        { rounds: result.rounds, chars: result.text.length, model: result.model, inputTokens: result.inputTokens, outputTokens: result.outputTokens },
        'answer complete',
      );
      return { outcome: 'complete', chars: result.text.length, rounds: result.rounds, messages: refs };
    } catch (error) {
      const action = classifyFailure(error, {
        lockLost: Boolean(bullSignal?.aborted) && !cancel.signal.aborted && !deps.shutdownSignal.aborted,
        refusal: refused.signal.aborted ? { error: refused.signal.reason } : undefined,
        cancelled: cancel.signal.aborted,
        shuttingDown: deps.shutdownSignal.aborted,
        attemptsLeft: (job.opts.attempts ?? 1) - job.attemptsMade - 1,
        toolsRan: progress.toolsRan,
        answered: progress.answered,
      });
      return await settleFailure(action, error, { message, job, token, rounds: progress.rounds, log });
    } finally {
      cancel.release();
    }
  };
}

export interface AnswerInput {
  data: ChatJob;
  jobId: string;
  ports: PlatformPorts;
  settings: SettingsOutcome;
  signal: AbortSignal;
  view: Parameters<typeof runAgentLoop>[0]['view'];
  log: Logger;
  /** Told when a tool runs, so a failure knows whether the job may start over. */
  progress: { toolsRan: boolean };
}

/** The agent loop's result, and the model that produced it. */
export interface Answered extends AgentResult {
  model: string;
}

/** Settings → the model request → the agent loop: everything between the job and its final write. */
export async function answer(deps: ChatProcessorDeps, input: AnswerInput): Promise<Answered> {
  const { data, jobId, ports, signal, log, progress } = input;
  if (!input.settings.ok) throw input.settings.error;
  const settings = input.settings.settings;
  const request = await buildAnswerRequest(data, settings, ports, signal, deps.defaults);
  const tools = deps.tools.forAnswer(data, jobId, settings, ports);
  const result = await runAgentLoop({
    llm: deps.llm,
    request,
    tools: {
      specs: () => tools.specs(),
      run: (call, options) => {
        progress.toolsRan = true;
        return tools.run(call, options);
      },
    },
    view: input.view,
    budget: deps.budget,
    maxRounds: deps.defaults.maxRounds,
    signal,
    log,
  });
  return { ...result, model: request.model };
}
