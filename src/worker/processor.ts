import type { Job } from 'bullmq';
import type { LlmClient } from '../llm/types.ts';
import type { Logger } from '../observability/logger.ts';
import type { ChatJob } from '../queue/chat-job.ts';
import type { ChannelPacer } from '../render/index.ts';
import type { ResolvedSettings, SettingsReader } from '../settings/types.ts';
import type { AnsweredRecord } from '../feedback/index.ts';
import type { UsageRecord } from '../usage/types.ts';
import { runAgentLoop, type AgentResult, type AgentTools, type RoundCheck, type RoundVerdict, type UpstreamBudget } from './agent-loop.ts';
import { buildAnswerRequest, loadSettings, type SettingsOutcome } from './answer-context.ts';
import { classifyFailure, settleFailure } from './answer-failure.ts';
import { openAnswerMessage } from './answer-message.ts';
import type { ChatAnswerResult } from './answer-result.ts';
import { chargeAnswer, finishAnswer, recordUsage } from './finish-answer.ts';
import type { PlatformPorts } from './ports.ts';
import { readJob } from './read-job.ts';
import { ReasoningModels } from '../llm/reasoning-models.ts';
import type { Clock } from '../render/clock.ts';
import { DEFAULT_REASONING_MODE } from '../settings/index.ts';
import { ReasoningDisplay, type ReasoningLineSink } from './reasoning-display.ts';
import { deliverReasoningFile, type ReasoningFileLedger } from './reasoning-file.ts';

export type { ChatAnswerResult } from './answer-result.ts';

/** Builds the tools one answer may use (the channel's enabled tools, with approval wired to the platform). */
export interface AnswerToolsFactory {
  forAnswer(job: ChatJob, jobId: string, settings: ResolvedSettings, ports: PlatformPorts): AgentTools;
}

/** Fires when someone stops a job (the worker's `CancelListener`). */
export interface CancelWatcher {
  watch(jobId: string): Promise<{ signal: AbortSignal; release(): void }>;
}

/** One answer's spending: checked before each model round, priced and charged at the finish. */
export interface AnswerMeter {
  beforeRound(check: RoundCheck): Promise<RoundVerdict>;
  /** Charges what the answer used; `costText` ("$0.0042") when the channel shows costs in footers. */
  finish(result: AgentResult): Promise<{ costNanoUsd: number; costText?: string }>;
  /** The answer did not finish here: frees the running round's reservation. */
  abandon(): Promise<void>;
}

/** Budgets and fairness for answers (`src/governance` implements it). */
export interface AnswerGovernance {
  start(answer: { job: ChatJob; jobId: string; model: string; maxOutputTokens?: number }): AnswerMeter;
  /** The job is over, whatever the outcome: frees the asker's in-flight slot. */
  jobEnded(job: ChatJob, jobId: string): Promise<void>;
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
  /** Budgets and fairness; absent: answers spend without limit. */
  governance?: AnswerGovernance;
  /** Remembers each finished answer's model, persona and messages, for 👍 / 👎 feedback. */
  answers?: { recordAnswer(answer: AnsweredRecord): Promise<void> };
  /** Which models stream reasoning. @defaultValue read from `llm.listModels()`, cached five minutes */
  reasoningModels?: { supports(model: string): Promise<boolean> };
  /** Keeps `full` reasoning files to one per answer across job retries. @defaultValue none (no protection) */
  reasoningFiles?: ReasoningFileLedger;
  /** Times the reasoning line's refresh. @defaultValue the system clock */
  clock?: Clock;
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
export function createChatProcessor(options: ChatProcessorDeps) {
  const deps: ChatProcessorDeps = {
    ...options,
    reasoningModels:
      options.reasoningModels ??
      new ReasoningModels({ listModels: () => options.llm.listModels(), onError: (error) => options.log.warn({ err: error }, 'model list unreadable; reasoning is not requested') }),
  };
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

    const progress: AnswerProgress = { rounds: 0, toolsRan: false, answered: false };
    // The asker's in-flight slot is freed whenever the job ends here, not when it is handed back or retried.
    const jobEnded = async (): Promise<void> => {
      await deps.governance?.jobEnded(data, jobId).catch((error: unknown) => log.warn({ err: error }, 'in-flight slot not released'));
    };
    try {
      const result = await answer(deps, { data, jobId, ports, settings, signal, view: message, log, progress });
      progress.rounds = result.rounds;
      progress.answered = true;
      // Charged first, so the footer can show the cost; the answer is paid for whether or not its final
      // write lands, so usage does not wait on that write.
      const charge = await chargeAnswer(progress.meter, result, log);
      progress.meter = undefined;
      const [refs] = await Promise.all([
        finishAnswer(message, result, { jobId, maxRounds: deps.defaults.maxRounds, costText: charge.costText }),
        recordUsage(deps.usage, data, result, charge.costNanoUsd, log),
      ]);
      // After the answer's final write, so the file follows the answer it belongs to.
      if (result.reasoningFile) {
        await deliverReasoningFile({ job: data, jobId, reasoning: result.reasoningFile, files: ports.files, ledger: deps.reasoningFiles, signal, log });
      }
      const persona = settings.ok ? (settings.settings.persona ?? undefined) : undefined;
      await deps.answers
        ?.recordAnswer({ jobId, platform: data.platform, workspaceId: data.workspaceId, channelId: data.channelId, model: result.model, persona, messageIds: refs.map((ref) => ref.id) })
        .catch((error: unknown) => log.warn({ err: error }, 'answer not recorded for feedback'));
      await jobEnded();
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
      await progress.meter?.abandon().catch((abandonError: unknown) => log.warn({ err: abandonError }, 'budget reservation not released'));
      const settled = await settleFailure(action, error, { message, job, token, rounds: progress.rounds, log });
      await jobEnded();
      return settled;
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
  view: Parameters<typeof runAgentLoop>[0]['view'] & Partial<ReasoningLineSink>;
  log: Logger;
  /** Told when a tool runs (a failure then knows whether the job may start over) and given the answer's meter. */
  progress: Pick<AnswerProgress, 'toolsRan' | 'meter'>;
}

/** What a failure needs to know of how far the answer got. */
export interface AnswerProgress {
  rounds: number;
  toolsRan: boolean;
  /** The model answered: a retry would pay twice. */
  answered: boolean;
  /** The answer's spending meter, until it is charged. */
  meter?: AnswerMeter;
}

/** The agent loop's result, and the model that produced it. */
export interface Answered extends AgentResult {
  model: string;
  /** `full` mode: the reasoning to send as a file after the answer. */
  reasoningFile?: string;
}

/** Settings → the model request → the agent loop: everything between the job and its final write. */
export async function answer(deps: ChatProcessorDeps, input: AnswerInput): Promise<Answered> {
  const { data, jobId, ports, signal, log, progress } = input;
  if (!input.settings.ok) throw input.settings.error;
  const settings = input.settings.settings;
  const request = await buildAnswerRequest(data, settings, ports, signal, deps.defaults);
  const mode = settings.reasoning ?? DEFAULT_REASONING_MODE;
  const setReasoning = input.view.setReasoning?.bind(input.view);
  // Asked for only when the channel shows it and the model list says the model can; else the request is as before.
  const reasoning = mode !== 'off' && setReasoning !== undefined && (await deps.reasoningModels?.supports(request.model)) === true;
  if (reasoning) request.reasoning = true;
  const display = reasoning ? new ReasoningDisplay({ mode, sink: { setReasoning: (line) => setReasoning?.(line) }, ...(deps.clock ? { clock: deps.clock } : {}) }) : undefined;
  const tools = deps.tools.forAnswer(data, jobId, settings, ports);
  const meter = deps.governance?.start({ job: data, jobId, model: request.model, ...(request.maxOutputTokens !== undefined ? { maxOutputTokens: request.maxOutputTokens } : {}) });
  progress.meter = meter;
  let result: AgentResult;
  try {
    result = await runAgentLoop({
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
      ...(meter ? { beforeRound: (check: RoundCheck) => meter.beforeRound(check) } : {}),
      ...(display ? { reasoning: display } : {}),
      signal,
      log,
    });
  } finally {
    display?.close();
  }
  const reasoningFile = mode === 'full' ? display?.transcript() : undefined;
  return { ...result, model: request.model, ...(reasoningFile ? { reasoningFile } : {}) };
}
