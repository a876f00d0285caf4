import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * Every series the bot exports, on one registry per process (the health server serves it at
 * /metrics). Names are `ofox_bot_*` with the unit in the name; labels are bounded sets (platform,
 * model, kind, tool, outcome) and never a user, channel or job id. Nothing in the hot paths
 * imports this file: `metrics-recorder.ts` turns the subsystems' callbacks into observations.
 */
export const metricsRegistry = new Registry();
// Node's own series (event-loop delay percentiles, heap, GC), under the same prefix.
collectDefaultMetrics({ register: metricsRegistry, prefix: 'ofox_bot_', eventLoopMonitoringPrecision: 20 });

const registers = [metricsRegistry];

/** What the scrape-time gauges read; `metrics-recorder.ts` adds sources and removes them on close. */
export interface JobCountsSource {
  readonly name: string;
  getJobCounts(...types: string[]): Promise<Record<string, number>>;
}
export const scrapeSources = {
  queues: new Set<JobCountsSource>(),
  redis: new Set<{ ping(): Promise<string> }>(),
  mcpConnected: new Set<() => number>(),
};
export const QUEUE_STATES = ['waiting', 'active', 'delayed', 'failed', 'completed'] as const;
/** A scrape must answer even when Redis does not. */
const SCRAPE_TIMEOUT_MS = 1_000;

function withinScrapeTimeout<T>(work: Promise<T>): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error('timed out')), SCRAPE_TIMEOUT_MS);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}
/** Model and user-facing latencies: first tokens come in well under a second, long answers take minutes. */
const LATENCY_BUCKETS = [0.1, 0.25, 0.5, 1, 2, 3, 5, 8, 13, 20, 30, 60];
const DURATION_BUCKETS = [0.5, 1, 2, 5, 10, 20, 40, 80, 160, 320];
/** Waits for a slot: most are 0, the rest span a platform window or a Retry-After. */
const WAIT_BUCKETS = [0, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
const TOOL_BUCKETS = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const COUNT_BUCKETS = [0, 1, 2, 3, 4, 6, 8, 12, 16, 24, 32, 64];

// Queue
export const queueJobs = new Gauge({
  name: 'ofox_bot_queue_jobs',
  help: 'Jobs in the chat queue by state (waiting, active, delayed, failed, completed), read at scrape time',
  labelNames: ['queue', 'state'] as const,
  registers,
  async collect() {
    this.reset();
    for (const queue of scrapeSources.queues) {
      // A queue Redis cannot answer for shows no series rather than stale numbers.
      const counts = await withinScrapeTimeout(queue.getJobCounts(...QUEUE_STATES)).catch(() => undefined);
      for (const state of QUEUE_STATES) if (counts) this.set({ queue: queue.name, state }, counts[state] ?? 0);
    }
  },
});
export const queueWaitSeconds = new Histogram({
  name: 'ofox_bot_queue_wait_seconds',
  help: 'Time from enqueue to a worker starting the job (first attempts only)',
  buckets: LATENCY_BUCKETS,
  registers,
});
export const stalledJobsRecoveredTotal = new Counter({
  name: 'ofox_bot_queue_stalled_jobs_recovered_total',
  help: 'Jobs whose worker stopped renewing the lock, moved back to the queue for another worker',
  registers,
});

// Answers
export const answersTotal = new Counter({
  name: 'ofox_bot_answers_total',
  help: 'Answers finished, by outcome (complete, stopped, error, refused, handed-back)',
  labelNames: ['platform', 'outcome'] as const,
  registers,
});
export const answerErrorsTotal = new Counter({
  name: 'ofox_bot_answer_errors_total',
  help: 'Answers that ended with an error, by the kind of error',
  labelNames: ['platform', 'kind'] as const,
  registers,
});
export const answerFirstTokenSeconds = new Histogram({
  name: 'ofox_bot_answer_time_to_first_token_seconds',
  help: 'Time from the first model request to its first token',
  labelNames: ['platform', 'model'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});
export const answerFirstTextSeconds = new Histogram({
  name: 'ofox_bot_answer_time_to_first_text_seconds',
  help: 'Time from the worker starting the answer to the first write that shows its text',
  labelNames: ['platform', 'model'] as const,
  buckets: LATENCY_BUCKETS,
  registers,
});
export const answerDurationSeconds = new Histogram({
  name: 'ofox_bot_answer_duration_seconds',
  help: 'Time from the worker starting the answer to its end',
  labelNames: ['platform', 'outcome'] as const,
  buckets: DURATION_BUCKETS,
  registers,
});
export const answerToolRounds = new Histogram({
  name: 'ofox_bot_answer_tool_rounds',
  help: 'Model rounds per answer that ended in tool calls',
  labelNames: ['platform'] as const,
  buckets: COUNT_BUCKETS,
  registers,
});
export const activeAnswers = new Gauge({
  name: 'ofox_bot_active_answers',
  help: 'Answers this process is working on right now',
  registers,
});

// Upstream (OfoxAI)
export const upstreamRequestsTotal = new Counter({
  name: 'ofox_bot_upstream_requests_total',
  help: 'Requests sent to OfoxAI (each attempt counts), by model',
  labelNames: ['model'] as const,
  registers,
});
export const upstreamRetriesTotal = new Counter({
  name: 'ofox_bot_upstream_retries_total',
  help: 'Attempts that failed and were tried again, by the kind of failure',
  labelNames: ['model', 'kind'] as const,
  registers,
});
export const upstreamErrorsTotal = new Counter({
  name: 'ofox_bot_upstream_errors_total',
  help: 'Failed attempts (retried or final) by kind: 429, 5xx, timeout-<phase>, cut-off, …',
  labelNames: ['model', 'kind'] as const,
  registers,
});
export const upstreamRetryAfterSeconds = new Histogram({
  name: 'ofox_bot_upstream_retry_after_seconds',
  help: 'Retry-After that OfoxAI sent with a 429',
  buckets: WAIT_BUCKETS,
  registers,
});
export const upstreamBudgetWaitSeconds = new Histogram({
  name: 'ofox_bot_upstream_budget_wait_seconds',
  help: "Time a model round waited for the team's shared request budget",
  buckets: WAIT_BUCKETS,
  registers,
});
export const upstreamTokensTotal = new Counter({
  name: 'ofox_bot_upstream_tokens_total',
  help: 'Tokens by model and direction (input excludes cached_input, which is counted apart)',
  labelNames: ['model', 'direction'] as const,
  registers,
});
export const upstreamSpendDollarsTotal = new Counter({
  name: 'ofox_bot_upstream_spend_dollars_total',
  help: 'What the answers cost, in US dollars, by model',
  labelNames: ['model'] as const,
  registers,
});
export const upstreamActiveStreams = new Gauge({
  name: 'ofox_bot_upstream_active_streams',
  help: 'Model streams open right now',
  registers,
});

// Platform
export const platformWritesTotal = new Counter({
  name: 'ofox_bot_platform_writes_total',
  help: 'Writes the platform accepted, by kind (create, edit, append, stop)',
  labelNames: ['platform', 'kind'] as const,
  registers,
});
export const platformRateLimitedTotal = new Counter({
  name: 'ofox_bot_platform_rate_limited_total',
  help: 'Writes the platform answered with 429',
  labelNames: ['platform'] as const,
  registers,
});
export const platformRetryAfterSeconds = new Histogram({
  name: 'ofox_bot_platform_retry_after_seconds',
  help: 'Retry-After of the platform 429s',
  labelNames: ['platform'] as const,
  buckets: WAIT_BUCKETS,
  registers,
});
export const platformRefusalsTotal = new Counter({
  name: 'ofox_bot_platform_refusals_total',
  help: 'Writes the platform refused for good (no permission, invalid body)',
  labelNames: ['platform'] as const,
  registers,
});
export const platformPacerWaitSeconds = new Histogram({
  name: 'ofox_bot_platform_pacer_wait_seconds',
  help: "Time a write waited for a slot in its channel's write budget",
  labelNames: ['platform'] as const,
  buckets: WAIT_BUCKETS,
  registers,
});
export const platformWritesPerAnswer = new Histogram({
  name: 'ofox_bot_platform_writes_per_answer',
  help: 'Platform writes one answer made',
  labelNames: ['platform'] as const,
  buckets: COUNT_BUCKETS,
  registers,
});

// Feedback
/*
 * Two counters rather than one, because a Prometheus counter never goes down and a person may change
 * or withdraw their vote: `votes` counts each time a vote becomes someone's current vote on an
 * answer, `withdrawn` each time one stops being it (replaced by the other, or its reaction removed).
 * `votes - withdrawn` per rating is the current 👍 / 👎 count: every person once per answer.
 */
export const feedbackVotesTotal = new Counter({
  name: 'ofox_bot_feedback_votes_total',
  help: 'Votes on answers that became a person\'s current vote, by platform, model, persona (default or custom) and rating (up, down)',
  labelNames: ['platform', 'model', 'persona', 'rating'] as const,
  registers,
});
export const feedbackVotesWithdrawnTotal = new Counter({
  name: 'ofox_bot_feedback_votes_withdrawn_total',
  help: 'Votes on answers that stopped counting (replaced by the other rating or withdrawn), by platform, model, persona and rating',
  labelNames: ['platform', 'model', 'persona', 'rating'] as const,
  registers,
});

// Tools
export const toolCallsTotal = new Counter({
  name: 'ofox_bot_tool_calls_total',
  help: 'Tool calls by tool and result (ok, invalid-input, unknown-tool, denied, timed-out, cancelled, failed)',
  labelNames: ['tool', 'result'] as const,
  registers,
});
export const toolDurationSeconds = new Histogram({
  name: 'ofox_bot_tool_duration_seconds',
  help: 'Tool call latency, approval wait included, by tool and result',
  labelNames: ['tool', 'result'] as const,
  buckets: TOOL_BUCKETS,
  registers,
});
export const toolApprovalsTotal = new Counter({
  name: 'ofox_bot_tool_approvals_total',
  help: 'Approval prompts by outcome (requested, approved, denied, timed-out, cancelled)',
  labelNames: ['outcome'] as const,
  registers,
});
export const mcpServersConnected = new Gauge({
  name: 'ofox_bot_mcp_servers_connected',
  help: 'MCP servers connected right now',
  registers,
  collect() {
    let connected = 0;
    for (const count of scrapeSources.mcpConnected) connected += count();
    this.set(connected);
  },
});

// Process
export const redisRoundTripSeconds = new Gauge({
  name: 'ofox_bot_redis_round_trip_seconds',
  help: 'Time of one PING to Redis, measured at scrape time (-1 when Redis did not answer in time)',
  registers,
  async collect() {
    let slowest: number | undefined;
    for (const redis of scrapeSources.redis) {
      const started = performance.now();
      const answered = await withinScrapeTimeout(redis.ping()).then(() => true, () => false);
      const seconds = answered ? (performance.now() - started) / 1000 : -1;
      slowest = slowest === undefined || seconds === -1 || (slowest !== -1 && seconds > slowest) ? seconds : slowest;
    }
    if (slowest !== undefined) this.set(slowest);
  },
});
