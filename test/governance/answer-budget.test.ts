import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runUsageCommand } from '../../src/cli/usage-command.ts';
import type { ChatJobInput } from '../../src/queue/chat-job.ts';
import { finish, raw, text, toolCall, usage } from '../fakes/ofox/index.ts';
import { RecordingPlatform } from '../fakes/recording-platform.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';
import { startGovernedWorker, type GovernedWorker } from './governed-worker.ts';
import { inbound } from './support.ts';

let pipeline: Pipeline;
let platform: RecordingPlatform;
let worker: GovernedWorker;
let counter = 0;

beforeAll(async () => {
  platform = new RecordingPlatform();
  pipeline = await startPipeline({ ports: [platform], workers: false, env: { OFOX_MODEL: 'openai/gpt-4o' } });
  worker = await startGovernedWorker(pipeline, [platform], { budgets: { user: { dailyUsd: 0.1 } }, fairness: { requestsPerMinute: 0, maxInFlight: 2 } });
});

afterAll(async () => {
  await worker?.stop();
  await pipeline?.stop();
});

beforeEach(() => {
  pipeline.fakeOfox.reset();
});

async function ask(userId: string, channelId: string): Promise<{ jobId: string; placeholderId: string; eventId: string }> {
  counter += 1;
  const eventId = `budget-${counter}-${Date.now()}`;
  // The gate takes the asker's in-flight slot, as the ingress pipeline does before enqueueing.
  expect(await worker.governance.gate.check(inbound({ platform: 'recording', workspaceId: 'team-1', channelId, eventId, user: { id: userId } }))).toEqual({ allowed: true });
  const placeholder = await platform.postPlaceholder(channelId);
  const job: ChatJobInput = { v: 1, eventId, platform: 'recording', workspaceId: 'team-1', channelId, userId, prompt: 'add numbers forever', placeholder, createdAt: Date.now() };
  const { jobId } = await pipeline.services.enqueue(job);
  return { jobId, placeholderId: placeholder.id, eventId };
}

async function finalText(id: string): Promise<string | undefined> {
  return (await platform.messages()).find((message) => message.id === id)?.text;
}

describe('the budget inside a running answer', () => {
  it('a tool loop stops at the budget: the round in progress finishes and the footer says why', async () => {
    // Every round asks for another tool call and costs $0.02 (4,000 tokens in, 1,000 out on openai/gpt-4o).
    pipeline.fakeOfox.respond(() => [text('Adding… '), toolCall('calculator', { expression: '1+1' }), usage(4_000, 1_000), finish('tool-calls')]);
    await worker.governance.channelOptions.setShowCost({ platform: 'recording', workspaceId: 'team-1', channelId: 'loop-channel' }, true);
    const { jobId, placeholderId } = await ask('U-loop', 'loop-channel');
    const result = await pipeline.waitForJob(jobId);
    expect(result.outcome).toBe('complete');
    // Each round reserves up to 4,096 output tokens ($0.041): after three rounds ($0.06) the fourth would not fit in $0.10.
    expect(result.rounds).toBe(3);
    expect(pipeline.fakeOfox.requests.filter((request) => request.protocol !== 'models')).toHaveLength(3);
    const final = await finalText(placeholderId);
    expect(final?.split('\n').filter((line) => line.startsWith('Adding…'))).toHaveLength(3);
    expect(final?.split('\n').filter((line) => line.startsWith('✅ **calculator**'))).toHaveLength(3);
    expect(final).toMatch(/_⏹ stopped: budget reached: your daily budget of \$0\.10 has \$0\.04 left; it resets at 00:00 UTC \(in [^)]+\) · cost \$0\.06_$/);

    const [spentToday] = await worker.governance.ledger.spent(worker.governance.ledger.lines([{ kind: 'user', id: 'recording:team-1:U-loop', limits: { usd: {}, tokens: {} } }]));
    expect(spentToday).toEqual({ nano: 60_000_000, tokens: 15_000 });
    // The asker's in-flight slot was released by the finish step.
    expect(await worker.governance.fairness.inFlight({ platform: 'recording', workspaceId: 'team-1', userId: 'U-loop' })).toBe(0);
  });

  it('the answer is recorded with its model, tokens and price, and `ofox-bot usage` shows it', async () => {
    pipeline.fakeOfox.respond(() => [text('Four.'), usage(1_200, 300), finish('stop')]);
    const { jobId, placeholderId } = await ask('U-cli', 'cli-channel');
    expect((await pipeline.waitForJob(jobId)).outcome).toBe('complete');
    // The channel does not show costs: no footer at all.
    expect(await finalText(placeholderId)).toBe('Four.');

    const rows = await pipeline.core.usage.top('user', { days: 1, workspace: { platform: 'recording', workspaceId: 'team-1' } });
    // 1,200 × $2.50/M + 300 × $10/M = $0.006.
    expect(rows.find((row) => row.id === 'U-cli')).toEqual({ kind: 'user', platform: 'recording', workspaceId: 'team-1', id: 'U-cli', requests: 1, inputTokens: 1_200, outputTokens: 300, cachedInputTokens: 0, costNanoUsd: 6_000_000, images: 0 });

    // A third answer whose prompt was mostly read from the provider's cache (as OpenAI reports it).
    const chunk = (body: Record<string, unknown>) => `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', choices: [], ...body })}\n\n`;
    pipeline.fakeOfox.respond(() => [
      raw(
        chunk({ choices: [{ index: 0, delta: { role: 'assistant', content: 'Cached.' }, finish_reason: null }] }) +
          chunk({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] }) +
          chunk({ usage: { prompt_tokens: 10_000, completion_tokens: 500, prompt_tokens_details: { cached_tokens: 8_000 } } }) +
          'data: [DONE]\n\n',
      ),
    ]);
    const cached = await ask('U-cache', 'cli-channel');
    expect((await pipeline.waitForJob(cached.jobId)).outcome).toBe('complete');
    const cacheRow = (await pipeline.core.usage.top('user', { days: 1 })).find((row) => row.id === 'U-cache');
    // 2,000 × $2.50/M + 8,000 cached × $1.25/M + 500 × $10/M = $0.02 (not $0.03 at the full prompt price).
    expect(cacheRow).toMatchObject({ requests: 1, inputTokens: 10_000, cachedInputTokens: 8_000, outputTokens: 500, costNanoUsd: 20_000_000 });

    let printed = '';
    const code = await runUsageCommand(['--since', '7d'], pipeline.config, { write: (chunk: string) => (printed += chunk) });
    expect(code).toBe(0);
    expect(printed).toContain('Total: 3 answers, $0.086');
    expect(printed).toMatch(/recording\s+team-1\s+U-loop\s+1\s+12,000\s+0\s+3,000\s+\$0\.06/);
    expect(printed).toMatch(/recording\s+team-1\s+U-cache\s+1\s+10,000\s+8,000\s+500\s+\$0\.02/);
    expect(printed).toMatch(/recording\s+team-1\s+U-cli\s+1\s+1,200\s+0\s+300\s+\$0\.006/);
    expect(printed).toMatch(/recording\s+team-1\s+openai\/gpt-4o\s+3\s+23,200\s+8,000\s+3,800\s+\$0\.086/);
    if (process.env.OFOX_PRINT_USAGE) console.log(printed);

    let csv = '';
    expect(await runUsageCommand(['--since=7d', '--csv'], pipeline.config, { write: (chunk: string) => (csv += chunk) })).toBe(0);
    expect(csv.split('\n')).toContain('user,recording,team-1,U-cli,1,1200,0,300,0.006000000');
    expect(csv.split('\n')).toContain('user,recording,team-1,U-cache,1,10000,8000,500,0.020000000');
    if (process.env.OFOX_PRINT_USAGE) console.log(csv);
  });
  it('refuses an unknown option with the help text and exit code 2', async () => {
    let printed = '';
    expect(await runUsageCommand(['--since', 'forever'], pipeline.config, { write: (chunk: string) => (printed += chunk) })).toBe(2);
    expect(printed).toContain('--since wants a number of days such as 7d (1 to 90), not "forever".');
    expect(printed).toContain('Usage: ofox-bot usage');
  });
});
