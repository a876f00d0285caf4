import type { RetryInfo } from '../llm/client-options.ts';
import type { RateLimitInfo } from '../llm/types.ts';
import { currentAnswer } from './answer-context.ts';
import { upstreamErrorKind } from './error-kind.ts';
import {
  answerFirstTextSeconds,
  answerFirstTokenSeconds,
  feedbackVotesTotal,
  feedbackVotesWithdrawnTotal,
  platformPacerWaitSeconds,
  platformRateLimitedTotal,
  platformRefusalsTotal,
  platformRetryAfterSeconds,
  platformWritesTotal,
  scrapeSources,
  stalledJobsRecoveredTotal,
  toolApprovalsTotal,
  toolCallsTotal,
  toolDurationSeconds,
  upstreamBudgetWaitSeconds,
  upstreamErrorsTotal,
  upstreamRequestsTotal,
  upstreamRetriesTotal,
  upstreamRetryAfterSeconds,
  upstreamSpendDollarsTotal,
  upstreamTokensTotal,
  type JobCountsSource,
} from './metrics.ts';
import { recordSpan } from './tracing.ts';

/**
 * The bot's metrics as callbacks shaped like each subsystem's options: the composition root hands
 * them to the model client, the renderer's surface and pacer, the tools and the queue, and nothing
 * in those hot paths imports a metric. Labels that come from data (model, tool, platform) pass
 * through {@link boundedLabel}, so a model inventing tool names cannot grow the series without end.
 */

/** How a platform write changed the chat: a new message, an edit, or a streaming append / stop. */
export type PlatformWriteKind = 'create' | 'edit' | 'append' | 'stop';
/** `requested` when the prompt is posted, then how it ended. */
export type ApprovalEvent = 'requested' | 'approved' | 'denied' | 'timed-out' | 'cancelled';

export interface LlmHooks {
  /** `LlmClientOptions.onRetry`: one failed attempt that will be tried again. */
  onRetry(info: RetryInfo): void;
  /** One request (attempt) sent for `model`. */
  onRequest(info: { model: string }): void;
  /** A call failed for good (after its retries). */
  onError(info: { model: string; error: unknown }): void;
  /** `StreamOptions.onRateLimit`: the gateway's rate-limit headers, with Retry-After on a 429. */
  onRateLimit(info: RateLimitInfo): void;
  /** The first token (text or reasoning) of a model round, `ms` after its request. */
  onFirstToken(info: { model: string; ms: number }): void;
  /** The final usage of one model round. */
  onUsage(info: { model: string; inputTokens: number; outputTokens: number; cachedInputTokens?: number }): void;
  /** The shared request budget made a round wait `waitMs` (0 included). */
  onBudgetWait(waitMs: number): void;
}

/**
 * The renderer's callbacks. `platform` defaults to the answer's; writes outside an answer (an
 * approval prompt, a failure notice from the pool) pass it.
 */
export interface RenderHooks {
  onWrite(info: { kind: PlatformWriteKind; platform?: string }): void;
  /** Same shape as the surface's `SurfaceRateLimitedError`. */
  onRateLimited(error: { retryAfterMs: number }, platform?: string): void;
  /** `ProgressiveMessageOptions.onRefused`: the platform refused a write for good. */
  onRefused(error: unknown, platform?: string): void;
  onPacerWait(waitMs: number, platform?: string): void;
}

export interface AnswerHooks {
  /** The first write that shows the answer's text; the time comes from the answer's start. */
  onFirstVisible(): void;
  /** Governance priced an answer (or a round) for `model`. */
  onPriced(info: { model: string; dollars: number }): void;
}

export interface ToolHooks {
  /** One tool call ended; `status` is `ToolRunResult.status` (`ok`, `denied`, `timed-out`, …). */
  onToolCall(info: { tool: string; status: string; durationMs: number }): void;
  onApproval(event: ApprovalEvent): void;
}

/** A change of one person's vote on an answer (the feedback store's `FeedbackEvent`). */
export interface FeedbackChange {
  platform: string;
  model: string;
  /** The persona's text, or `default`: only that distinction becomes a label. */
  persona: string;
  /** The vote that now counts. */
  vote?: string;
  /** The vote it replaced. */
  replaced?: string;
  /** The vote taken back. */
  withdrawn?: string;
}

export interface FeedbackHooks {
  onFeedback(change: FeedbackChange): void;
}

export interface MetricsRecorder {
  llmHooks: LlmHooks;
  renderHooks: RenderHooks;
  answerHooks: AnswerHooks;
  toolHooks: ToolHooks;
  feedbackHooks: FeedbackHooks;
  /** BullMQ worker events: stalled jobs moved back to the queue. Returns the unsubscribe. */
  observeWorker(worker: { on(event: 'stalled', listener: (jobId: string) => void): unknown; off(event: 'stalled', listener: (jobId: string) => void): unknown }): () => void;
  /** Job counts by state at each scrape. Returns the unsubscribe. */
  queueMetrics(queue: JobCountsSource): () => void;
  /** A PING at each scrape. Returns the unsubscribe. */
  redisRoundTrip(redis: { ping(): Promise<string> }): () => void;
  /** Connected MCP servers at each scrape. Returns the unsubscribe. */
  mcpServers(source: { status(): ReadonlyArray<{ state: string }> }): () => void;
}

export const METRICS_RECORDER_DEFAULTS = {
  /** Distinct values one data-derived label may take before the rest are reported as `other`. */
  maxLabelValues: 100,
} as const;

const seenLabels = new Map<string, Set<string>>();

/** The value itself while the label has seen fewer than the cap of distinct values, else `other`. */
export function boundedLabel(label: string, value: string | undefined, max: number = METRICS_RECORDER_DEFAULTS.maxLabelValues): string {
  if (!value) return 'unknown';
  let seen = seenLabels.get(label);
  if (!seen) {
    seen = new Set();
    seenLabels.set(label, seen);
  }
  if (seen.has(value)) return value;
  if (seen.size >= max) return 'other';
  seen.add(value);
  return value;
}

function platformOf(platform: string | undefined): string {
  return boundedLabel('platform', platform ?? currentAnswer()?.platform);
}

function modelOf(model: string | undefined): string {
  return boundedLabel('model', model);
}

const llmHooks: LlmHooks = {
  onRetry({ error }) {
    const answer = currentAnswer();
    const model = modelOf(answer?.model);
    const kind = upstreamErrorKind(error);
    upstreamRetriesTotal.inc({ model, kind });
    upstreamErrorsTotal.inc({ model, kind });
    if (answer) {
      answer.upstreamRetries += 1;
      if (kind === '429') answer.upstreamRateLimits += 1;
    }
  },
  onRequest({ model }) {
    upstreamRequestsTotal.inc({ model: modelOf(model) });
  },
  onError({ model, error }) {
    const kind = upstreamErrorKind(error);
    // A stop or a shutdown is not an upstream error.
    if (kind === 'aborted') return;
    upstreamErrorsTotal.inc({ model: modelOf(model), kind });
    const answer = currentAnswer();
    if (answer) {
      answer.errorKind = kind;
      if (kind === '429') answer.upstreamRateLimits += 1;
    }
  },
  onRateLimit(info) {
    if (info.retryAfterMs !== undefined) upstreamRetryAfterSeconds.observe(info.retryAfterMs / 1000);
  },
  onFirstToken({ model, ms }) {
    const answer = currentAnswer();
    // The answer's first token only: later rounds follow tool calls, not the person's question.
    if (!answer || answer.firstTokenMs !== undefined) return;
    answer.firstTokenMs = ms;
    answerFirstTokenSeconds.observe({ platform: platformOf(undefined), model: modelOf(model) }, ms / 1000);
  },
  onUsage({ model, inputTokens, outputTokens, cachedInputTokens = 0 }) {
    const label = modelOf(model);
    const uncached = Math.max(0, inputTokens - cachedInputTokens);
    if (uncached > 0) upstreamTokensTotal.inc({ model: label, direction: 'input' }, uncached);
    if (cachedInputTokens > 0) upstreamTokensTotal.inc({ model: label, direction: 'cached_input' }, cachedInputTokens);
    if (outputTokens > 0) upstreamTokensTotal.inc({ model: label, direction: 'output' }, outputTokens);
    const answer = currentAnswer();
    if (answer) {
      answer.inputTokens += inputTokens;
      answer.cachedInputTokens += cachedInputTokens;
      answer.outputTokens += outputTokens;
    }
  },
  onBudgetWait(waitMs) {
    upstreamBudgetWaitSeconds.observe(Math.max(0, waitMs) / 1000);
  },
};

const renderHooks: RenderHooks = {
  onWrite({ kind, platform }) {
    platformWritesTotal.inc({ platform: platformOf(platform), kind });
    const answer = currentAnswer();
    if (answer) answer.writes += 1;
  },
  onRateLimited({ retryAfterMs }, platform) {
    const label = platformOf(platform);
    platformRateLimitedTotal.inc({ platform: label });
    platformRetryAfterSeconds.observe({ platform: label }, Math.max(0, retryAfterMs) / 1000);
    const answer = currentAnswer();
    if (answer) answer.platformRateLimits += 1;
  },
  onRefused(_error, platform) {
    platformRefusalsTotal.inc({ platform: platformOf(platform) });
    const answer = currentAnswer();
    if (answer) answer.refused = true;
  },
  onPacerWait(waitMs, platform) {
    platformPacerWaitSeconds.observe({ platform: platformOf(platform) }, Math.max(0, waitMs) / 1000);
  },
};

const answerHooks: AnswerHooks = {
  onFirstVisible() {
    const answer = currentAnswer();
    if (!answer || answer.firstVisibleMs !== undefined) return;
    answer.firstVisibleMs = performance.now() - answer.startedAt;
    answerFirstTextSeconds.observe({ platform: platformOf(undefined), model: modelOf(answer.model) }, answer.firstVisibleMs / 1000);
  },
  onPriced({ model, dollars }) {
    if (!(dollars > 0)) return;
    upstreamSpendDollarsTotal.inc({ model: modelOf(model) }, dollars);
    const answer = currentAnswer();
    if (answer) answer.spendDollars = (answer.spendDollars ?? 0) + dollars;
  },
};

const TOOL_STATUSES = new Set(['ok', 'invalid-input', 'unknown-tool', 'denied', 'timed-out', 'cancelled', 'failed']);

const toolHooks: ToolHooks = {
  onToolCall({ tool, status, durationMs }) {
    // A tool the model made up is named by the model: never a label value.
    const name = status === 'unknown-tool' ? 'unknown' : boundedLabel('tool', tool);
    const result = TOOL_STATUSES.has(status) ? status : 'failed';
    toolCallsTotal.inc({ tool: name, result });
    toolDurationSeconds.observe({ tool: name, result }, Math.max(0, durationMs) / 1000);
    const answer = currentAnswer();
    if (answer) answer.toolCalls += 1;
    recordSpan('tool call', { 'ofox_bot.tool': name, 'ofox_bot.tool.result': result }, durationMs, result !== 'ok');
  },
  onApproval(event) {
    toolApprovalsTotal.inc({ outcome: event });
  },
};

const RATINGS = new Set(['up', 'down']);

const feedbackHooks: FeedbackHooks = {
  onFeedback(change) {
    // A persona is free text: labelled only as default or custom, so the series stay few.
    const labels = { platform: platformOf(change.platform), model: modelOf(change.model), persona: change.persona === 'default' ? 'default' : 'custom' };
    if (change.vote && RATINGS.has(change.vote)) feedbackVotesTotal.inc({ ...labels, rating: change.vote });
    for (const taken of [change.replaced, change.withdrawn]) if (taken && RATINGS.has(taken)) feedbackVotesWithdrawnTotal.inc({ ...labels, rating: taken });
  },
};

function addSource<T>(set: Set<T>, source: T): () => void {
  set.add(source);
  return () => void set.delete(source);
}

/** The recorder over the process registry; every call returns the same hooks, so any number of cores may share it. */
export function createMetricsRecorder(): MetricsRecorder {
  return {
    llmHooks,
    renderHooks,
    answerHooks,
    toolHooks,
    feedbackHooks,
    observeWorker(worker) {
      const onStalled = () => stalledJobsRecoveredTotal.inc();
      worker.on('stalled', onStalled);
      return () => void worker.off('stalled', onStalled);
    },
    queueMetrics: (queue) => addSource(scrapeSources.queues, queue),
    redisRoundTrip: (redis) => addSource(scrapeSources.redis, redis),
    mcpServers: (source) => addSource(scrapeSources.mcpConnected, () => source.status().filter((server) => server.state === 'ready').length),
  };
}
