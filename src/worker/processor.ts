import { UnrecoverableError, WaitingError, type Job } from 'bullmq';
import type { Logger } from '../observability/logger.ts';
import { answerSeconds, answersTotal } from '../observability/metrics.ts';
import type { LlmClient } from '../llm/types.ts';
import { describeLlmError, LlmError } from '../llm/index.ts';
import { chatJobSchema, type ChatJob } from '../queue/chat-job.ts';
import type { CancelListener } from '../queue/cancel-bus.ts';
import { ProgressiveMessage, type ChannelPacer } from '../render/index.ts';
import { isPermanentRefusal, type MessageRef } from '../render/surface.ts';
import type { ResolvedSettings, SettingsReader } from '../settings/types.ts';
import type { AnsweredRecord } from '../feedback/index.ts';
import type { UsageRecord } from '../usage/types.ts';
import { runAgentLoop, type AgentTools, type UpstreamBudget } from './agent-loop.ts';
import { buildConversation } from './conversation-builder.ts';
import type { PlatformPorts } from './ports.ts';

/** Builds the tools one answer may use (the channel's enabled tools, with approval wired to the platform). */
export interface AnswerToolsFactory {
  forAnswer(job: ChatJob, jobId: string, settings: ResolvedSettings, ports: PlatformPorts): AgentTools;
}

export interface ChatProcessorDeps {
  llm: LlmClient;
  platforms: ReadonlyMap<string, PlatformPorts>;
  settings: SettingsReader;
  tools: AnswerToolsFactory;
  pacer: ChannelPacer;
  cancels: CancelListener;
  budget?: UpstreamBudget;
  usage?: { record(record: UsageRecord): Promise<void> };
  /** Remembers each finished answer's model, persona and messages, for 👍 / 👎 feedback. */
  answers?: { recordAnswer(answer: AnsweredRecord): Promise<void> };
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

export interface ChatAnswerResult {
  outcome: 'complete' | 'stopped' | 'error';
  chars: number;
  rounds: number;
  messages: MessageRef[];
  error?: string;
}

/** Things that go wrong below the model (Redis blips, a platform outage) retry the whole job. */
function isInfrastructureError(error: unknown): boolean {
  return !isPermanentRefusal(error) && !(error instanceof LlmError) && !(error instanceof UnrecoverableError);
}

function readableError(error: unknown): string {
  if (error instanceof LlmError) return describeLlmError(error);
  if (error instanceof Error && error.name === 'ZodError') return 'the request was malformed';
  if (error instanceof Error && isPermanentRefusal(error)) return `the chat platform refused the message: ${error.message}`;
  return 'something went wrong on our side; please try again';
}

export function createChatProcessor(deps: ChatProcessorDeps) {
  return async function processChatJob(job: Job, token?: string, bullSignal?: AbortSignal): Promise<ChatAnswerResult> {
    const jobId = job.id ?? 'unknown';
    const parsed = chatJobSchema.safeParse(job.data);
    if (!parsed.success) {
      deps.log.error({ jobId, issues: parsed.error.issues.slice(0, 5) }, 'job data is invalid; dropping it');
      throw new UnrecoverableError('invalid job data');
    }
    const data = parsed.data;
    const log = deps.log.child({ jobId, platform: data.platform, channelId: data.channelId });
    const ports = deps.platforms.get(data.platform);
    if (!ports) {
      log.error('no adapter for this platform in this worker');
      throw new UnrecoverableError(`no adapter for platform ${data.platform}`);
    }

    const surface = ports.surfaceFor(data);
    // Both are Redis round trips before the model request; neither needs the other.
    const [cancel, settingsResult] = await Promise.all([
      deps.cancels.watch(jobId),
      deps.settings.resolve({ platform: data.platform, workspaceId: data.workspaceId, channelId: data.channelId }).then(
        (settings) => ({ ok: true as const, settings }),
        (error: unknown) => ({ ok: false as const, error }),
      ),
    ]);
    const refused = new AbortController();
    const signals = [cancel.signal, deps.shutdownSignal, refused.signal, ...(bullSignal ? [bullSignal] : [])];
    const signal = AbortSignal.any(signals);
    let known = data;
    const message = new ProgressiveMessage({
      surface,
      pacer: deps.pacer,
      placeholder: data.placeholder,
      continuations: data.continuations,
      controls: { kind: 'stop', jobId },
      log,
      // The platform will not take this answer: stop the model and the tools too.
      onRefused: (error) => refused.abort(error),
      // Every message the answer posts is written back to the job before more text goes out, so a
      // retried or recovered job edits these instead of posting a second answer.
      onMessageCreated: async (ref, index) => {
        if (index === 0) known = { ...known, placeholder: ref };
        else {
          // By position: a continuation recreated after deletion replaces the dead one in its place.
          const continuations = [...known.continuations];
          continuations[index - 1] = ref;
          known = { ...known, continuations };
        }
        await job.updateData(known);
      },
    });
    // "Typing…" until the first token (platforms clear it on the next post or after a few seconds).
    void surface.typing?.().catch(() => {});

    let rounds = 0;
    let toolsRan = false;
    const started = performance.now();
    const done = (outcome: ChatAnswerResult['outcome']) => {
      answersTotal.inc({ platform: data.platform, outcome });
      answerSeconds.observe({ platform: data.platform }, (performance.now() - started) / 1000);
    };
    try {
      if (!settingsResult.ok) throw settingsResult.error;
      const settings = settingsResult.settings;
      const model = data.model ?? settings.model ?? deps.defaults.model;
      const messages = await buildConversation(data, ports, signal, {
        persona: settings.persona,
        tokenBudget: deps.defaults.contextTokenBudget,
        attachmentTextMaxBytes: deps.defaults.attachmentTextMaxBytes,
      });
      const tools = deps.tools.forAnswer(data, jobId, settings, ports);
      const result = await runAgentLoop({
        llm: deps.llm,
        request: {
          model,
          messages,
          maxOutputTokens: deps.defaults.maxOutputTokens,
          fallbackModels: deps.defaults.fallbackModels,
        },
        tools: {
          specs: () => tools.specs(),
          run: (call, options) => {
            toolsRan = true;
            return tools.run(call, options);
          },
        },
        view: message,
        budget: deps.budget,
        maxRounds: deps.defaults.maxRounds,
        signal,
        log,
      });
      rounds = result.rounds;
      if (!result.text.trim()) message.setBody('_(the model returned an empty answer)_');
      const refs = await message.finish({
        outcome: result.hitRoundLimit ? 'error' : 'complete',
        reason: result.hitRoundLimit ? `stopped after ${deps.defaults.maxRounds} rounds of tool calls` : lengthNote(result.finishReason),
        retried: result.retried,
        controls: { kind: 'feedback', jobId },
      });
      await deps.usage
        ?.record({
          platform: data.platform,
          workspaceId: data.workspaceId,
          channelId: data.channelId,
          userId: data.userId,
          requests: 1,
          inputTokens: result.inputTokens,
          outputTokens: result.outputTokens,
        })
        .catch((error: unknown) => log.warn({ err: error }, 'usage not recorded'));
      await deps.answers
        ?.recordAnswer({ jobId, platform: data.platform, workspaceId: data.workspaceId, channelId: data.channelId, model, persona: settings.persona ?? undefined, messageIds: refs.map((ref) => ref.id) })
        .catch((error: unknown) => log.warn({ err: error }, 'answer not recorded for feedback'));
      log.info({ rounds, chars: result.text.length, model, inputTokens: result.inputTokens, outputTokens: result.outputTokens }, 'answer complete');
      done('complete');
      return { outcome: 'complete', chars: result.text.length, rounds, messages: refs };
    } catch (error) {
      if (bullSignal?.aborted && !cancel.signal.aborted && !deps.shutdownSignal.aborted) {
        // The lock was lost: another worker owns this job now. Write nothing more, not even an error.
        log.warn('lost the job lock mid-answer; leaving the message to the worker that owns it');
        await message.abandon();
        throw error;
      }
      if (refused.signal.aborted) {
        const reason = readableError(refused.signal.reason);
        log.error({ err: refused.signal.reason }, 'the platform refused the answer; giving up');
        done('error');
        return { outcome: 'error', chars: 0, rounds, messages: message.refs, error: reason };
      }
      if (cancel.signal.aborted) {
        log.info('answer stopped by user');
        const refs = await message.finish({ outcome: 'stopped', controls: { kind: 'none' } });
        done('stopped');
        return { outcome: 'stopped', chars: 0, rounds, messages: refs };
      }
      if (deps.shutdownSignal.aborted) {
        // Hand the job back; another worker (or this one after restart) redoes it in the same message.
        log.warn('shutting down mid-answer; returning the job to the queue');
        await message.abandon();
        if (token) await job.moveToWait(token);
        throw new WaitingError();
      }
      const attemptsLeft = (job.opts.attempts ?? 1) - job.attemptsMade - 1;
      // A retry starts over from the first round; once tools have run (perhaps approved, perhaps
      // with side effects) that would run them again, so such an answer ends with the error instead.
      if (isInfrastructureError(error) && attemptsLeft > 0 && !toolsRan) {
        log.warn({ err: error, attemptsLeft }, 'answer failed; the job will be retried');
        message.setNotice('⚠️ hit a snag; retrying…');
        await message.flush().catch(() => {});
        await message.abandon();
        throw error;
      }
      const reason = readableError(error);
      log.error({ err: error, reason }, 'answer failed');
      const refs = await message.finish({ outcome: 'error', reason, controls: { kind: 'none' } }).catch((finishError: unknown) => {
        log.error({ err: finishError }, 'could not show the error in the chat');
        return [] as MessageRef[];
      });
      done('error');
      return { outcome: 'error', chars: 0, rounds, messages: refs, error: reason };
    } finally {
      cancel.release();
    }
  };
}

function lengthNote(reason: string): string | undefined {
  if (reason === 'length') return 'the answer hit the output length limit';
  if (reason === 'content-filter') return 'the answer was cut by the content filter';
  return undefined;
}
