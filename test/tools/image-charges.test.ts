import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSlackPorts, type SlackPorts } from '../../adapters/slack/index.ts';
import { createCommandService } from '../../src/commands/index.ts';
import { SettingsStore } from '../../src/settings/index.ts';
import { ToolCatalog } from '../../src/tools/index.ts';
import { createGovernance, parseGovernanceConfig, type Governance } from '../../src/governance/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { metricsRegistry } from '../../src/observability/metrics.ts';
import { createMetricsRecorder } from '../../src/observability/metrics-recorder.ts';
import { observeImageSpend } from '../../src/observability/observe-answer.ts';
import { parsePrometheusText, sampleValue } from '../observability/support/prometheus-text.ts';
import { chatJobSchema, type ChatJob } from '../../src/queue/chat-job.ts';
import { imageTool, RedisUploadLedger } from '../../src/tools/builtins/index.ts';
import type { Tool, ToolContext } from '../../src/tools/tool.ts';
import { UsageStore } from '../../src/usage/index.ts';
import { DEFAULT_FAKE_MODELS, refusedImage, startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';
import { FakeSlack } from '../fakes/slack/index.ts';
import { clientFor } from '../llm/support/collect.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { slackTestConfig } from '../slack/support.ts';

/**
 * Images on the budgets: the real image tool against the fake OfoxAI (its model list prices
 * `openai/gpt-image-2` at $0.04 an image), the real governance ledger in Redis, usage in Redis, and
 * Slack's real uploader against the fake Slack.
 */

const NOON = Date.UTC(2026, 11, 1, 12, 0, 0);
const NANO = 1_000_000_000;

let ofox: FakeOfox;
let redis: Redis;
let slack: FakeSlack;
let ports: SlackPorts;
let prefix: string;

beforeAll(async () => {
  ofox = await startFakeOfox();
  redis = new Redis(testRedisUrl());
});

afterAll(async () => {
  await ofox.close();
  redis.disconnect();
});

beforeEach(async () => {
  ofox.reset();
  ofox.setModels([...DEFAULT_FAKE_MODELS, { id: 'openai/gpt-image-2', pricing: { image: '0.04' }, architecture: { output_modalities: ['image'] } }, { id: 'vendor/unpriced-image' }]);
  prefix = newTestPrefix('image-charges');
  slack = await new FakeSlack().start();
  ports = createSlackPorts(slackTestConfig(slack), silentLogger());
});

afterEach(async () => {
  ofox.setModels(DEFAULT_FAKE_MODELS);
  await ports.close();
  await slack.stop();
  await deleteKeys(prefix);
});

function setUp(governanceSection: Record<string, unknown>, observed = false): { tool: Tool; governance: Governance; usage: UsageStore } {
  const usage = new UsageStore({ redis, prefix, now: () => NOON });
  const llm = clientFor(ofox);
  const governance = createGovernance({ redis, prefix, config: parseGovernanceConfig(governanceSection), listModels: () => llm.listModels(), log: silentLogger(), now: () => NOON, usage });
  const tool = imageTool({
    client: { baseUrl: ofox.openaiBaseUrl, apiKey: ofox.apiKey },
    defaultModel: 'openai/gpt-image-2',
    ledger: new RedisUploadLedger({ redis, prefix }),
    spending: observed ? observeImageSpend(governance.images, createMetricsRecorder().answerHooks) : governance.images,
  });
  return { tool, governance, usage };
}

function jobFor(eventId: string): ChatJob {
  return chatJobSchema.parse({ v: 1, eventId, platform: 'slack', workspaceId: 'T1', channelId: 'C1', threadId: '1700000000.000100', userId: 'U1', prompt: 'draw', createdAt: NOON });
}

function contextFor(job: ChatJob, extra: Partial<ToolContext> = {}): ToolContext {
  return {
    signal: new AbortController().signal,
    platform: job.platform,
    workspaceId: job.workspaceId,
    channelId: job.channelId,
    userId: job.userId,
    jobId: `${job.platform}-${job.eventId}`,
    callId: 'call_1',
    upload: (file, signal) => ports.files!.upload(job, file, signal),
    ...extra,
  };
}

const imageRequests = () => ofox.requests.filter((request) => request.path === '/v1/images/generations');

/** Nano-dollars spent today by the user, the channel and the workspace. */
async function spentToday(governance: Governance): Promise<number[]> {
  const lines = governance.ledger.lines([
    { kind: 'user', id: 'slack:T1:U1', limits: { usd: {}, tokens: {} } },
    { kind: 'channel', id: 'slack:T1:C1', limits: { usd: {}, tokens: {} } },
    { kind: 'workspace', id: 'slack:T1', limits: { usd: {}, tokens: {} } },
  ], NOON).filter((line) => line.period === 'day');
  return (await governance.ledger.spent(lines)).map((spent) => spent.nano);
}

describe('image costs under governance', () => {
  it('charges the listed price per image to every budget once, records it in usage, and never again when the job is retried after the upload', async () => {
    const { tool, governance, usage } = setUp({ budgets: { user: { dailyUsd: 1 } } });
    const job = jobFor('Ev1');
    await tool.run({ prompt: 'two fox logos', count: 2 }, contextFor(job));
    // The worker died after the upload; the retried job runs the same call again.
    const again = await tool.run({ prompt: 'two fox logos', count: 2 }, contextFor(job));

    expect(imageRequests()).toHaveLength(1);
    expect(slack.externalUploads).toHaveLength(2);
    expect(typeof again === 'string' ? again : again.produced).toBe('two-fox-logos.png, two-fox-logos-2.png');
    expect(await spentToday(governance)).toEqual([0.08 * NANO, 0.08 * NANO, 0.08 * NANO]);
    const [today] = (await usage.report({ platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'U1' }, 1)).days;
    expect(today?.user).toEqual({ requests: 0, inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, costNanoUsd: 0.08 * NANO, images: 2 });
    expect(await usage.top('model', { days: 1 })).toMatchObject([{ id: 'openai/gpt-image-2', costNanoUsd: 0.08 * NANO, images: 2 }]);
    // What the person reads in `usage`.
    const commands = createCommandService({ settings: new SettingsStore({ redis, prefix }), catalog: new ToolCatalog({ sources: [] }), listModels: async () => [], defaultModel: 'openai/gpt-4o', usage, governance, usageDays: 1, now: () => NOON });
    const reply = await commands.runCommand({ platform: 'slack', workspaceId: 'T1', channelId: 'C1', userId: 'U1', isAdmin: false, name: 'usage', args: '' });
    expect(reply.text).toContain('- Today: $0.08 (of $1.00 daily limit, $0.92 left, resets 00:00 UTC (in 12 h 0 min))');
    expect(reply.text).toContain('- **You:** $0.08, 0 requests, 0 tokens in / 0 out, 2 images');
  });

  it('refuses an image the budget cannot pay for before calling the endpoint, saying what is left', async () => {
    const { tool, governance } = setUp({ budgets: { user: { dailyUsd: 0.1 } } });
    await tool.run({ prompt: 'two fox logos', count: 2 }, contextFor(jobFor('Ev1')));
    const refused = tool.run({ prompt: 'one more fox', count: 1 }, contextFor(jobFor('Ev2')));

    await expect(refused).rejects.toThrow('no image was made: budget reached: your daily budget of $0.10 has $0.02 left; it resets at 00:00 UTC (in 12 h 0 min)');
    expect(imageRequests()).toHaveLength(1);
    expect(await spentToday(governance)).toEqual([0.08 * NANO, 0.08 * NANO, 0.08 * NANO]);
  });

  it('gives the reservation back when the model refuses the prompt', async () => {
    const { tool, governance } = setUp({ budgets: { workspace: { monthlyUsd: 5 } } });
    ofox.enqueueImages(refusedImage());
    const result = await tool.run({ prompt: 'something not allowed' }, contextFor(jobFor('Ev1')));
    expect(String(result)).toMatch(/^No image: the image model refused this prompt/);
    expect(await spentToday(governance)).toEqual([0, 0, 0]);
  });

  it('counts what images cost in the spend series, by image model', async () => {
    const { tool } = setUp({}, true);
    await tool.run({ prompt: 'a fox', count: 2 }, contextFor(jobFor('Ev1')));
    const samples = parsePrometheusText(await metricsRegistry.metrics());
    expect(sampleValue(samples, 'ofox_bot_upstream_spend_dollars_total', { model: 'openai/gpt-image-2' })).toBe(0.08);
  });

  it('an image model the list does not price costs the configured default, else nothing', async () => {
    const priced = setUp({ imagePriceUsd: 0.05 });
    await priced.tool.run({ prompt: 'an unpriced picture' }, contextFor(jobFor('Ev1'), { imageModel: 'vendor/unpriced-image' }));
    expect(await spentToday(priced.governance)).toEqual([0.05 * NANO, 0.05 * NANO, 0.05 * NANO]);

    await deleteKeys(prefix);
    const free = setUp({});
    await free.tool.run({ prompt: 'another unpriced picture' }, contextFor(jobFor('Ev2'), { imageModel: 'vendor/unpriced-image' }));
    expect(await spentToday(free.governance)).toEqual([0, 0, 0]);
    expect(imageRequests()).toHaveLength(2);
  });
});
