import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startHealthServer } from '../../src/observability/health-server.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { observeSpend } from '../../src/observability/observe-answer.ts';
import { createMetricsRecorder } from '../../src/observability/metrics-recorder.ts';
import type { ChatJobInput } from '../../src/queue/chat-job.ts';
import { SurfaceRateLimitedError, type Surface } from '../../src/render/surface.ts';
import { finish, rateLimited, text, toolCall, usage, type FakeRequest } from '../fakes/ofox/index.ts';
import { RecordingPlatform } from '../fakes/recording-platform.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';
import { parsePrometheusText, sampleValue, type Sample } from './support/prometheus-text.ts';

/**
 * The /metrics an operator scrapes, after real answers through the real pipeline (Redis, BullMQ,
 * workers, the OfoxAI client against the fake): one answer with an upstream 429, a tool call that
 * needs approval and a platform 429; then one the platform refuses.
 */

const stdioServer = fileURLToPath(new URL('../fakes/mcp/stdio-server.ts', import.meta.url));
const MODEL = 'openai/gpt-4o';
const PLATFORM = 'recording';

/** A recording platform whose first edit in a channel answers 429, and whose `refusing-*` channels refuse for good. */
class PushbackPlatform extends RecordingPlatform {
  private readonly limited = new Set<string>();
  override surface(channelId: string): Surface {
    const inner = super.surface(channelId);
    return {
      limits: inner.limits,
      channelKey: inner.channelKey,
      create: (body, options) => inner.create(body, options),
      edit: async (ref, body, options) => {
        if (channelId.startsWith('refusing-')) throw Object.assign(new Error('Missing Permissions'), { permanent: true });
        if (!this.limited.has(channelId)) {
          this.limited.add(channelId);
          this.rateLimited += 1;
          throw new SurfaceRateLimitedError(40);
        }
        return inner.edit(ref, body, options);
      },
    };
  }
}

let pipeline: Pipeline;
let platform: PushbackPlatform;
let health: Server;
const logLines: string[] = [];

function lastMessageIsToolResult(request: FakeRequest): boolean {
  const messages = (request.body as { messages?: Array<{ role: string }> }).messages ?? [];
  return messages.at(-1)?.role === 'tool';
}

async function ask(channelId: string) {
  const placeholder = await platform.postPlaceholder(channelId);
  const job: ChatJobInput = {
    v: 1,
    eventId: `metrics-${channelId}-${Date.now()}`,
    platform: PLATFORM,
    workspaceId: 'team',
    channelId,
    userId: 'asker',
    prompt: 'what is 6*7?',
    placeholder,
    createdAt: Date.now(),
  };
  return (await pipeline.services.enqueue(job)).jobId;
}

async function approveWhenAsked(): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    const pending = platform.approvalPosts.find((post) => post.outcome === undefined);
    if (pending) {
      await pipeline.services.decideApproval({ approvalId: pending.prompt.approvalId, userId: 'asker', isAdmin: false, decision: 'approve' });
      return;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no approval prompt was posted');
}

async function scrape(): Promise<Sample[]> {
  const { port } = health.address() as AddressInfo;
  const response = await fetch(`http://127.0.0.1:${port}/metrics`);
  expect(response.status).toBe(200);
  return parsePrometheusText(await response.text());
}

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'ofox-metrics-'));
  const configFile = join(dir, 'ofox-bot.config.yaml');
  writeFileSync(
    configFile,
    [
      'tools:',
      '  calculator:',
      '    requiresApproval: true',
      'mcpServers:',
      '  fake:',
      `    command: ${JSON.stringify(process.execPath)}`,
      `    args: ["--experimental-strip-types", "--no-warnings", ${JSON.stringify(stdioServer)}]`,
    ].join('\n'),
  );
  platform = new PushbackPlatform({ approvals: true, limits: { channelEditsPerWindow: 1_000, channelWindowMs: 1_000 } });
  const log = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(line) } });
  pipeline = await startPipeline({ ports: [platform], log, env: { OFOX_BOT_CONFIG: configFile, OFOX_MODEL: MODEL } });
  health = await startHealthServer({ port: 0, ready: async () => true, log });
});

afterAll(async () => {
  health?.close();
  await pipeline?.stop();
});

describe('/metrics after an answer with an upstream 429, an approved tool call and a platform 429', () => {
  let samples: Sample[];
  let jobId: string;

  beforeAll(async () => {
    pipeline.fakeOfox.enqueue(
      [rateLimited(0)],
      [text('Let me compute. '), toolCall('calculator', { expression: '6*7' }), usage(10, 5), finish('tool-calls')],
    );
    pipeline.fakeOfox.respond((request) => (lastMessageIsToolResult(request) ? [text('It is 42.'), usage(20, 7), finish('stop')] : [text('unexpected'), finish('stop')]));
    jobId = await ask('answer-1');
    await approveWhenAsked();
    const result = await pipeline.waitForJob(jobId);
    expect(result.outcome).toBe('complete');
    samples = await scrape();
  });

  it('counts the answer, its latencies and its tool rounds', () => {
    expect(sampleValue(samples, 'ofox_bot_answers_total', { platform: PLATFORM, outcome: 'complete' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_answer_time_to_first_token_seconds_count', { platform: PLATFORM, model: MODEL })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_answer_time_to_first_text_seconds_count', { platform: PLATFORM, model: MODEL })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_answer_duration_seconds_count', { platform: PLATFORM, outcome: 'complete' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_answer_tool_rounds_count', { platform: PLATFORM })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_answer_tool_rounds_sum', { platform: PLATFORM })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_active_answers')).toBe(0);
    // The first token came after the 429 and its retry: more than no time, less than the answer.
    const firstToken = sampleValue(samples, 'ofox_bot_answer_time_to_first_token_seconds_sum', { platform: PLATFORM, model: MODEL })!;
    const duration = sampleValue(samples, 'ofox_bot_answer_duration_seconds_sum', { platform: PLATFORM, outcome: 'complete' })!;
    expect(firstToken).toBeLessThan(duration);
  });

  it('counts upstream requests, the 429 retried, tokens by model and the shared budget waits', () => {
    expect(sampleValue(samples, 'ofox_bot_upstream_requests_total', { model: MODEL })).toBe(3);
    expect(sampleValue(samples, 'ofox_bot_upstream_retries_total', { model: MODEL, kind: '429' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_upstream_errors_total', { model: MODEL, kind: '429' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_upstream_retry_after_seconds_count')).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_upstream_retry_after_seconds_sum')).toBe(0);
    expect(sampleValue(samples, 'ofox_bot_upstream_tokens_total', { model: MODEL, direction: 'input' })).toBe(30);
    expect(sampleValue(samples, 'ofox_bot_upstream_tokens_total', { model: MODEL, direction: 'output' })).toBe(12);
    // The fake reports no cached input: that series stays absent rather than a made-up zero.
    expect(sampleValue(samples, 'ofox_bot_upstream_tokens_total', { model: MODEL, direction: 'cached_input' })).toBeUndefined();
    expect(sampleValue(samples, 'ofox_bot_upstream_budget_wait_seconds_count')).toBe(2);
    expect(sampleValue(samples, 'ofox_bot_upstream_active_streams')).toBe(0);
  });

  it('counts platform writes by kind, the 429 with its retry-after, pacer waits and writes per answer', async () => {
    const writes = (await platform.store.writes()).filter((write) => write.kind === 'edit');
    const creates = (await platform.store.writes()).filter((write) => write.kind === 'create' && write.text !== 'thinking…');
    expect(sampleValue(samples, 'ofox_bot_platform_writes_total', { platform: PLATFORM, kind: 'edit' })).toBe(writes.length);
    expect(sampleValue(samples, 'ofox_bot_platform_writes_total', { platform: PLATFORM, kind: 'create' }) ?? 0).toBe(creates.length);
    expect(sampleValue(samples, 'ofox_bot_platform_rate_limited_total', { platform: PLATFORM })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_platform_retry_after_seconds_count', { platform: PLATFORM })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_platform_retry_after_seconds_sum', { platform: PLATFORM })).toBe(0.04);
    // Every write attempt, the rate-limited one included, took one slot from the channel's budget.
    expect(sampleValue(samples, 'ofox_bot_platform_pacer_wait_seconds_count', { platform: PLATFORM })).toBe(writes.length + creates.length + 1);
    expect(sampleValue(samples, 'ofox_bot_platform_writes_per_answer_count', { platform: PLATFORM })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_platform_writes_per_answer_sum', { platform: PLATFORM })).toBe(writes.length + creates.length);
    expect(platform.rateLimited).toBe(1);
  });

  it('counts the tool call with its latency, the approval asked and granted, and the MCP server connected', () => {
    expect(sampleValue(samples, 'ofox_bot_tool_calls_total', { tool: 'calculator', result: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_tool_duration_seconds_count', { tool: 'calculator', result: 'ok' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_tool_approvals_total', { outcome: 'requested' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_tool_approvals_total', { outcome: 'approved' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_tool_approvals_total', { outcome: 'denied' })).toBeUndefined();
    expect(sampleValue(samples, 'ofox_bot_mcp_servers_connected')).toBe(1);
  });

  it('reads the queue by state, the job wait and stalled recoveries', () => {
    const queue = { queue: 'chat' };
    expect(sampleValue(samples, 'ofox_bot_queue_jobs', { ...queue, state: 'completed' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_queue_jobs', { ...queue, state: 'waiting' })).toBe(0);
    expect(sampleValue(samples, 'ofox_bot_queue_jobs', { ...queue, state: 'active' })).toBe(0);
    expect(sampleValue(samples, 'ofox_bot_queue_jobs', { ...queue, state: 'delayed' })).toBe(0);
    expect(sampleValue(samples, 'ofox_bot_queue_jobs', { ...queue, state: 'failed' })).toBe(0);
    expect(sampleValue(samples, 'ofox_bot_queue_wait_seconds_count')).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_queue_stalled_jobs_recovered_total')).toBe(0);
  });

  it('measures the process: event-loop delay and the Redis round trip', () => {
    expect(sampleValue(samples, 'ofox_bot_nodejs_eventloop_lag_p99_seconds')).toBeTypeOf('number');
    const roundTrip = sampleValue(samples, 'ofox_bot_redis_round_trip_seconds')!;
    expect(roundTrip).toBeGreaterThan(0);
    expect(roundTrip).toBeLessThan(1);
  });

  it('never labels a series with a user, channel or job id', () => {
    const values = samples.flatMap((sample) => Object.values(sample.labels));
    for (const id of ['asker', 'answer-1', jobId]) expect(values).not.toContain(id);
  });

  it('writes one summary line for the answer, and every line of the answer says which answer, model and attempt', () => {
    const lines = logLines.map((line) => ({ raw: line, parsed: JSON.parse(line) as Record<string, unknown> })).filter((line) => line.parsed.jobId === jobId);
    const summaries = lines.filter((line) => line.parsed.msg === 'answer summary');
    expect(summaries).toHaveLength(1);
    expect(summaries[0]!.parsed).toMatchObject({
      platform: PLATFORM,
      channelId: 'answer-1',
      model: MODEL,
      attempt: 1,
      answer: {
        outcome: 'complete',
        modelRounds: 2,
        toolRounds: 1,
        toolCalls: 1,
        inputTokens: 30,
        cachedInputTokens: 0,
        outputTokens: 12,
        platform429s: 1,
        upstream429s: 1,
        upstreamRetries: 1,
      },
    });
    const summary = summaries[0]!.parsed.answer as { writes: number; timeToFirstTextMs: number; durationMs: number };
    expect(summary.writes).toBe(sampleValue(samples, 'ofox_bot_platform_writes_per_answer_sum', { platform: PLATFORM }));
    expect(summary.timeToFirstTextMs).toBeLessThanOrEqual(summary.durationMs);
    // The lines after the model was asked carry all five; none repeats a key.
    expect(lines.length).toBeGreaterThan(2);
    for (const line of lines) {
      for (const key of ['jobId', 'platform', 'channelId', 'attempt']) expect(line.raw.split(`"${key}":`).length - 1).toBe(1);
    }
    const afterModel = lines.slice(lines.findIndex((line) => line.parsed.model !== undefined));
    for (const line of afterModel) expect(line.raw.split('"model":').length - 1).toBe(1);
  });
});

describe('/metrics after an answer the platform refuses', () => {
  it('counts the refusal and the answer as refused', async () => {
    pipeline.fakeOfox.respond(() => [text('This will not be shown.'), finish('stop')]);
    const jobId = await ask('refusing-1');
    const result = await pipeline.waitForJob(jobId);
    expect(result.outcome).toBe('error');
    const samples = await scrape();
    expect(sampleValue(samples, 'ofox_bot_platform_refusals_total', { platform: PLATFORM })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_answers_total', { platform: PLATFORM, outcome: 'refused' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_answer_errors_total', { platform: PLATFORM, kind: 'refused' })).toBe(1);
    expect(sampleValue(samples, 'ofox_bot_answers_total', { platform: PLATFORM, outcome: 'complete' })).toBe(1);
  });
});

describe('spend by model', () => {
  it('adds the dollars governance charges for each answer of a model', async () => {
    const before = sampleValue(await scrape(), 'ofox_bot_upstream_spend_dollars_total', { model: MODEL }) ?? 0;
    const charged = [125_000_000, 62_500_000];
    const governance = observeSpend(
      {
        start: () => ({
          beforeRound: async () => ({ proceed: true }),
          abandon: async () => {},
          finish: async () => ({ costNanoUsd: charged.shift() ?? 0 }),
        }),
        jobEnded: async () => {},
      },
      createMetricsRecorder().answerHooks,
    );
    for (let answer = 0; answer < 2; answer += 1) {
      const meter = governance.start({ job: {} as never, jobId: `j${answer}`, model: MODEL });
      await meter.finish({} as never);
    }
    expect((sampleValue(await scrape(), 'ofox_bot_upstream_spend_dollars_total', { model: MODEL }) ?? 0) - before).toBeCloseTo(0.1875, 9);
  });
});
