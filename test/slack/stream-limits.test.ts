import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackPorts, type SlackPorts } from '../../adapters/slack/index.ts';
import { configSchema } from '../../src/config.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { chatJobSchema, type ChatJob } from '../../src/queue/chat-job.ts';
import { WORKING_TEXT } from '../../src/render/answer-layout.ts';
import type { MessageRef, Surface } from '../../src/render/surface.ts';
import { FakeSlack, visibleText } from '../fakes/slack/index.ts';
import { slackTestConfig } from './support.ts';

/**
 * The Slack surface against Slack's per-stream limits: at most 12,000 characters of markdown per
 * call and per markdown block, and no appends to a stream older than SLACK_STREAM_MAX_AGE_MS.
 */

let slack: FakeSlack;
let ports: SlackPorts;
let surface: Surface;
let threadTs: string;

function jobIn(channel: string, thread: string): ChatJob {
  return chatJobSchema.parse({ v: 1, eventId: `Ev${thread}`, platform: 'slack', workspaceId: slack.teamId, channelId: channel, messageId: thread, userId: 'UALICE', prompt: 'q', createdAt: Date.now() });
}

/** The same message, as a job written `ageMs` ago would carry it. */
function agedBy(ref: MessageRef, ageMs: number): MessageRef {
  return { ...ref, extra: { ...ref.extra, startedAt: String(Number(ref.extra!.startedAt) - ageMs) } };
}

beforeEach(async () => {
  slack = await new FakeSlack({ defaultRateLimits: false }).start();
  ports = createSlackPorts(slackTestConfig(slack, { SLACK_STREAM_MAX_AGE_MS: '60000', SLACK_STREAM_MAX_CHARS: '12000' }), silentLogger());
  threadTs = slack.addUserMessage('C1', 'UALICE', 'a question').ts;
  surface = ports.surfaceFor(jobIn('C1', threadTs));
});

afterEach(async () => {
  await ports.close();
  await slack.stop();
});

describe('Slack stream limits', () => {
  it('reports the configured size and age to the renderer, and each message’s age from the job', async () => {
    expect(surface.limits).toMatchObject({ maxChars: 12_000, maxMessageAgeMs: 60_000 });
    const before = Date.now();
    const ref = await surface.create('Hello');
    expect(Number(ref.extra?.startedAt)).toBeGreaterThanOrEqual(before);
    expect(surface.messageAgeMs?.(agedBy(ref, 30_000))).toBeGreaterThanOrEqual(30_000);
    expect(surface.messageAgeMs?.(agedBy(ref, 30_000))).toBeLessThan(31_000);
    // A message from before this change (no stamp): unknown, so the renderer counts from when it got it.
    expect(surface.messageAgeMs?.({ id: ref.id, channelId: 'C1', extra: { stream: '1' } })).toBeUndefined();
  });

  it('never appends to a stream older than SLACK_STREAM_MAX_AGE_MS: it is stopped and rewritten whole', async () => {
    const ref = await surface.create('Written by a worker that died');
    const old = agedBy(ref, 60_000);
    await surface.edit(old, 'Written by a worker that died, and continued by another');
    expect(slack.callsTo('chat.appendStream')).toEqual([]);
    expect(slack.callsTo('chat.stopStream').map((call) => call.args.ts)).toEqual([ref.id]);
    const message = slack.message('C1', ref.id)!;
    expect(message.streaming_state).toBe('completed');
    expect(visibleText(message)).toBe('Written by a worker that died, and continued by another');
    // From then on it is edited with chat.update.
    await surface.edit(old, 'Written by a worker that died, and continued by another to the end', { final: true });
    expect(slack.callsTo('chat.update')).toHaveLength(2);
    expect(visibleText(message)).toBe('Written by a worker that died, and continued by another to the end');
  });

  it('draws a write to a stream too old to append to from the stop and update budgets, and later ones from updates only', async () => {
    const keys = (write: Parameters<NonNullable<Surface['budgetsFor']>>[0]) => surface.budgetsFor!(write).map((budget) => budget.key);
    const team = slack.teamId;
    const ref = await surface.create('Hello');
    expect(keys({ kind: 'edit', ref, final: false })).toEqual([`slack:${team}:chat.appendStream`]);
    const old = agedBy(ref, 60_000);
    expect(keys({ kind: 'edit', ref: old, final: false })).toEqual([`slack:${team}:C1:stops`, `slack:${team}:posts`, `slack:${team}:chat.update`]);
    await surface.edit(old, 'Hello again');
    expect(keys({ kind: 'edit', ref: old, final: false })).toEqual([`slack:${team}:chat.update`]);
    expect(keys({ kind: 'edit', ref: old, final: true })).toEqual([`slack:${team}:chat.update`]);
  });

  it('the last write to a stream past the limit stops it once and rewrites it, even after Slack ended it', async () => {
    const ref = await surface.create('Left open by a worker that died');
    slack.expireStreams();
    await surface.edit(agedBy(ref, 600_000), 'Left open by a worker that died, finished by another', { final: true, controls: { kind: 'feedback', jobId: 'j' } });
    expect(slack.calls.map((call) => [call.method, call.outcome])).toEqual([
      ['chat.startStream', 'ok'],
      ['chat.stopStream', 'message_not_in_streaming_state'],
      ['chat.update', 'ok'],
    ]);
    expect(visibleText(slack.message('C1', ref.id)!)).toBe('Left open by a worker that died, finished by another');
  });

  it('a stream younger than the limit is appended to', async () => {
    const ref = await surface.create('Fresh');
    await surface.edit(agedBy(ref, 59_000), 'Fresh and growing');
    expect(slack.callsTo('chat.appendStream').map((call) => call.outcome)).toEqual(['ok']);
    expect(slack.message('C1', ref.id)!.streamText).toBe('Fresh and growing');
  });

  it('a new stream that holds only a running tool starts without "…", so its first text is appended, not rewritten', async () => {
    const tools = [{ id: 'call-1', name: 'calculator', summary: '6 * 7', state: 'running' as const }];
    const ref = await surface.create(WORKING_TEXT, { tools });
    await surface.edit(ref, 'It is 42.', { tools: [{ ...tools[0]!, state: 'done', durationMs: 200 }] });
    expect(slack.calls.map((call) => [call.method, call.outcome])).toEqual([
      ['chat.startStream', 'ok'],
      ['chat.appendStream', 'ok'],
    ]);
    const message = slack.message('C1', ref.id)!;
    expect(message.streamText).toBe('It is 42.');
    expect([...message.tasks.values()].map((task) => [task.id, task.status])).toEqual([['call-1', 'complete']]);
  });

  it('text that neutralizing mentions made longer than 12,000 characters is posted as mrkdwn sections, not streamed', async () => {
    // 12,000 characters, each `<!` gaining an invisible word joiner: 16,000 once neutralized.
    const text = '<!x'.repeat(4_000);
    const ref = await surface.create(text);
    expect(slack.callsTo('chat.startStream')).toEqual([]);
    expect(ref.extra?.stream).toBeUndefined();
    const message = slack.message('C1', ref.id)!;
    expect(message.blocks!.every((block) => block.type === 'section')).toBe(true);
    expect(slack.calls.map((call) => call.outcome)).toEqual(['ok']);
  });

  it('an append of more than 12,000 characters becomes one chat.update instead', async () => {
    const ref = await surface.create('Start. ');
    // 11,707 characters, 12,607 once its 900 `<!` are neutralized: too many for one append.
    const text = `Start. ${'word '.repeat(1_800)}${'<!x'.repeat(900)}`;
    expect(text.length).toBe(11_707);
    await surface.edit(ref, text);
    expect(slack.callsTo('chat.appendStream')).toEqual([]);
    expect(slack.calls.map((call) => [call.method, call.outcome])).toEqual([
      ['chat.startStream', 'ok'],
      ['chat.stopStream', 'ok'],
      ['chat.update', 'ok'],
    ]);
    expect(slack.message('C1', ref.id)!.blocks!.every((block) => block.type === 'section')).toBe(true);
  });
});

describe('the fake Slack enforces the limits the tests rely on', () => {
  it('refuses more than 12,000 characters of markdown_text in one call, however it is chunked', async () => {
    const ref = await surface.create('Begin');
    const chunk = { type: 'markdown_text', text: 'x'.repeat(6_001) };
    await expect(ports.client.chat.appendStream({ channel: 'C1', ts: ref.id, chunks: [chunk, chunk] } as never)).rejects.toMatchObject({ data: { error: 'msg_too_long' } });
    await ports.client.chat.appendStream({ channel: 'C1', ts: ref.id, chunks: [chunk] } as never);
    expect(slack.message('C1', ref.id)!.streamText).toBe(`Begin${chunk.text}`);
  });

  it('ends a stream older than its lifetime: appends answer message_not_in_streaming_state', async () => {
    const fake = await new FakeSlack({ defaultRateLimits: false, streamLifetimeMs: 50 }).start();
    try {
      const otherPorts = createSlackPorts(slackTestConfig(fake), silentLogger());
      const thread = fake.addUserMessage('C1', 'UALICE', 'q').ts;
      const other = otherPorts.surfaceFor(jobIn('C1', thread));
      const ref = await other.create('Soon closed');
      await new Promise((resolve) => setTimeout(resolve, 80));
      await expect(otherPorts.client.chat.appendStream({ channel: 'C1', ts: ref.id, chunks: [{ type: 'markdown_text', text: ' more' }] } as never)).rejects.toMatchObject({
        data: { error: 'message_not_in_streaming_state' },
      });
      await otherPorts.close();
    } finally {
      await fake.stop();
    }
  });
});

describe('SLACK_STREAM_MAX_CHARS and SLACK_STREAM_MAX_AGE_MS', () => {
  it('default to 11,000 characters and four minutes, and refuse values past Slack’s limits', () => {
    const parsed = configSchema.parse({ NODE_ENV: 'test' });
    expect([parsed.SLACK_STREAM_MAX_CHARS, parsed.SLACK_STREAM_MAX_AGE_MS]).toEqual([11_000, 240_000]);
    expect(configSchema.safeParse({ NODE_ENV: 'test', SLACK_STREAM_MAX_CHARS: '12001' }).success).toBe(false);
    expect(configSchema.safeParse({ NODE_ENV: 'test', SLACK_STREAM_MAX_AGE_MS: '300000' }).success).toBe(false);
    expect(configSchema.safeParse({ NODE_ENV: 'test', SLACK_STREAM_MAX_AGE_MS: '999' }).success).toBe(false);
  });
});

describe('code blocks in a stream', () => {
  it('a code block still being written is appended to, not rewritten: the closing fence waits for the last write', async () => {
    // The renderer closes an open block in every snapshot so each message renders on its own.
    const ref = await surface.create('Here:\n\n```ts\nconst a\n```');
    await surface.edit(ref, 'Here:\n\n```ts\nconst a = 1;\nconst b\n```');
    await surface.edit(ref, 'Here:\n\n```ts\nconst a = 1;\nconst b = 2;\n```\n\nDone.', { final: true });
    expect(slack.calls.map((call) => [call.method, call.outcome])).toEqual([
      ['chat.startStream', 'ok'],
      ['chat.appendStream', 'ok'],
      ['chat.stopStream', 'ok'],
      ['chat.update', 'ok'],
    ]);
    const message = slack.message('C1', ref.id)!;
    expect(message.streamText).toBe('Here:\n\n```ts\nconst a = 1;\nconst b = 2;\n```\n\nDone.');
    expect(visibleText(message)).toBe('Here:\n\n```ts\nconst a = 1;\nconst b = 2;\n```\n\nDone.');
  });
});
