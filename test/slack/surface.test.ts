import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { MemoryStreamStateStore, RedisStreamStateStore, createSlackPorts, type SlackPorts, type StreamState } from '../../adapters/slack/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { chatJobSchema, type ChatJob } from '../../src/queue/chat-job.ts';
import { SurfaceMessageGoneError, SurfaceRateLimitedError, type MessageRef, type Surface } from '../../src/render/surface.ts';
import { FakeSlack, buttonsOf, notificationsIn, visibleText, type FakeMessage } from '../fakes/slack/index.ts';
import { slackTestConfig } from './support.ts';

let slack: FakeSlack;
let ports: SlackPorts;

function jobIn(channel: string, threadTs: string, extra: Partial<ChatJob> = {}): ChatJob {
  return chatJobSchema.parse({ v: 1, eventId: `Ev${threadTs}`, platform: 'slack', workspaceId: slack.teamId, channelId: channel, messageId: threadTs, userId: 'UALICE', prompt: 'q', createdAt: Date.now(), ...extra });
}

function thread(channel = 'C1'): string {
  return slack.addUserMessage(channel, 'UALICE', 'a question').ts;
}

/** The text of a message's context blocks (where tool calls show outside a stream). */
function contextText(message: FakeMessage): string {
  return (message.blocks ?? [])
    .filter((block) => block.type === 'context')
    .flatMap((block) => (block.elements as Array<{ text?: string }>).map((element) => element.text ?? ''))
    .join('\n');
}

async function portsWith(streaming: 'native' | 'update'): Promise<void> {
  ports = createSlackPorts(slackTestConfig(slack, { SLACK_STREAMING: streaming }), silentLogger());
}

beforeEach(async () => {
  slack = await new FakeSlack({ defaultRateLimits: false }).start();
});

afterEach(async () => {
  await ports?.close();
  await slack.stop();
});

describe('native streaming', () => {
  let surface: Surface;
  let threadTs: string;
  beforeEach(async () => {
    await portsWith('native');
    threadTs = thread();
    surface = ports.surfaceFor(jobIn('C1', threadTs));
  });

  it('says it shows tool progress natively and paces for appendStream', () => {
    // Native streams hold SLACK_STREAM_MAX_CHARS and are closed at SLACK_STREAM_MAX_AGE_MS (defaults).
    expect(surface.limits).toMatchObject({ maxChars: 11_000, minEditIntervalMs: 500, nativeToolStatus: true, maxMessageAgeMs: 240_000 });
    expect(surface.channelKey).toBe(`slack:${slack.teamId}:C1`);
  });

  it("draws each write from its method's budget: posts per channel and workspace, appends, a stream's stop, and stop plus update for a stream too old to append to", () => {
    const team = slack.teamId;
    const bucket = (key: string, limit: number, windowMs: number) => ({ key, limit, windowMs, kind: 'bucket', adaptive: true });
    const posts = [bucket(`slack:${team}:C1:posts`, 3, 3_300), bucket(`slack:${team}:posts`, 100, 60_000)];
    // A stop has the channel's budget of its own, beside its posts, and shares the workspace's pool.
    const stops = [bucket(`slack:${team}:C1:stops`, 3, 3_300), bucket(`slack:${team}:posts`, 100, 60_000)];
    const update = bucket(`slack:${team}:chat.update`, 50, 60_000);
    const stream = { id: '1.2', channelId: 'C1', extra: { stream: '1' } };
    expect(surface.budgetsFor?.({ kind: 'create', final: false })).toEqual(posts);
    expect(surface.budgetsFor?.({ kind: 'edit', ref: stream, final: false })).toEqual([bucket(`slack:${team}:chat.appendStream`, 100, 60_000)]);
    expect(surface.budgetsFor?.({ kind: 'edit', ref: stream, final: true })).toEqual(stops);
    const old = { id: '1.4', channelId: 'C1', extra: { stream: '1', startedAt: String(Date.now() - 240_000) } };
    expect(surface.budgetsFor?.({ kind: 'edit', ref: old, final: false })).toEqual([...stops, update]);
    expect(surface.budgetsFor?.({ kind: 'edit', ref: old, final: true })).toEqual([...stops, update]);
    expect(surface.budgetsFor?.({ kind: 'edit', ref: { id: '1.3', channelId: 'C1' }, final: false })).toEqual([update]);
  });

  /** The message writes Slack received after the stream started, each as method and arguments. */
  function writesAfterStart(): Array<{ method: string; args: Record<string, unknown> }> {
    const writes = new Set(['chat.postMessage', 'chat.update', 'chat.startStream', 'chat.appendStream', 'chat.stopStream']);
    return slack.calls.filter((call) => writes.has(call.method) && call.method !== 'chat.startStream').map(({ method, args }) => ({ method, args }));
  }

  const FEEDBACK_BLOCKS = [
    {
      type: 'actions',
      block_id: 'ofox_feedback',
      elements: [
        { type: 'button', action_id: 'ofox_feedback_up', value: 'slack-Ev1', text: { type: 'plain_text', text: '👍', emoji: true } },
        { type: 'button', action_id: 'ofox_feedback_down', value: 'slack-Ev1', text: { type: 'plain_text', text: '👎', emoji: true } },
      ],
    },
  ];

  it('ends a stream that holds the final text so far with one stopStream carrying the last words and the buttons', async () => {
    const ref = await surface.create('Part one', { controls: { kind: 'stop', jobId: 'slack-Ev1' } });
    await surface.edit(ref, 'Part one and two', { final: true, controls: { kind: 'feedback', jobId: 'slack-Ev1' } });
    expect(writesAfterStart()).toEqual([
      { method: 'chat.stopStream', args: { channel: 'C1', ts: ref.id, chunks: [{ type: 'markdown_text', text: ' and two' }], blocks: FEEDBACK_BLOCKS } },
    ]);
    const message = slack.message('C1', ref.id)!;
    expect(message.streaming_state).toBe('completed');
    expect(message.edits).toBe(0);
    expect(visibleText(message)).toBe('Part one and two');
    expect(buttonsOf(message)).toEqual(['ofox_feedback_up', 'ofox_feedback_down']);
  });

  it('ends a stream whose text was replaced with stopStream and then chat.update with the whole final text', async () => {
    const ref = await surface.create('The answer is 4', { controls: { kind: 'stop', jobId: 'slack-Ev1' } });
    await surface.edit(ref, 'Let me start over: 42.', { final: true, controls: { kind: 'feedback', jobId: 'slack-Ev1' } });
    expect(writesAfterStart()).toEqual([
      { method: 'chat.stopStream', args: { channel: 'C1', ts: ref.id } },
      { method: 'chat.update', args: { channel: 'C1', ts: ref.id, text: 'Let me start over: 42.', blocks: [{ type: 'markdown', text: 'Let me start over: 42.' }, ...FEEDBACK_BLOCKS] } },
    ]);
    const message = slack.message('C1', ref.id)!;
    expect(visibleText(message)).toBe('Let me start over: 42.');
    expect(buttonsOf(message)).toEqual(['ofox_feedback_up', 'ofox_feedback_down']);
  });

  it('rewrites with chat.update when a retried final write finds the stream already stopped', async () => {
    const ref = await surface.create('Done', { controls: { kind: 'stop', jobId: 'slack-Ev1' } });
    await surface.edit(ref, 'Done here.', { final: true, controls: { kind: 'feedback', jobId: 'slack-Ev1' } });
    // A retried job (a new surface, as on another worker) writes the final text again.
    await ports.surfaceFor(jobIn('C1', threadTs)).edit(ref, 'Done here.', { final: true, controls: { kind: 'feedback', jobId: 'slack-Ev1' } });
    expect(writesAfterStart().map((write) => write.method)).toEqual(['chat.stopStream', 'chat.update']);
    const message = slack.message('C1', ref.id)!;
    expect(visibleText(message)).toBe('Done here.');
    expect(buttonsOf(message)).toEqual(['ofox_feedback_up', 'ofox_feedback_down']);
  });

  it("says which method's budget a 429 came from", async () => {
    const ref = await surface.create('Hello');
    slack.failNext('chat.appendStream', 'ratelimited', { retryAfterSec: 2 });
    await expect(surface.edit(ref, 'Hello there')).rejects.toMatchObject({ retryAfterMs: 2_000, budgetKeys: [`slack:${slack.teamId}:chat.appendStream`] });
  });

  it('starts a stream in the thread and appends only what is new', async () => {
    const ref = await surface.create('Hello', { controls: { kind: 'stop', jobId: 'slack-Ev1' } });
    await surface.edit(ref, 'Hello, wor');
    await surface.edit(ref, 'Hello, world.');
    await surface.edit(ref, 'Hello, world.');
    const appends = slack.callsTo('chat.appendStream').map((call) => (call.args.chunks as Array<{ text?: string }>).map((chunk) => chunk.text).join(''));
    expect(appends).toEqual([', wor', 'ld.']);
    const message = slack.message('C1', ref.id)!;
    expect(message.thread_ts).toBe(threadTs);
    expect(message.streamText).toBe('Hello, world.');
    expect(buttonsOf(message)).toEqual(['ofox_stop']);
    expect(slack.callsTo('chat.startStream')[0]?.args).toMatchObject({ recipient_user_id: 'UALICE', recipient_team_id: slack.teamId, thread_ts: threadTs });
  });

  it('finishes by stopping the stream and showing the exact text with feedback buttons', async () => {
    const ref = await surface.create('Part one', { controls: { kind: 'stop', jobId: 'slack-Ev1' } });
    await surface.edit(ref, 'Part one and two', { final: true, controls: { kind: 'feedback', jobId: 'slack-Ev1' } });
    const message = slack.message('C1', ref.id)!;
    expect(message.streaming_state).toBe('completed');
    expect(message.streamText).toBe('Part one and two');
    expect(visibleText(message)).toBe('Part one and two');
    expect(buttonsOf(message)).toEqual(['ofox_feedback_up', 'ofox_feedback_down']);
  });

  it('edits a stream the ingress started (holding only the Stop button)', async () => {
    const ts = slack.workspace.add({ channel: 'C1', thread_ts: threadTs, user: slack.botUserId, bot_id: slack.botId, streaming_state: 'in_progress', streamStartedAt: Date.now() }).ts;
    const ref: MessageRef = { id: ts, channelId: 'C1', extra: { threadTs, stream: '1' } };
    await surface.edit(ref, 'First words');
    await surface.edit(ref, 'First words, more', { final: true, controls: { kind: 'feedback', jobId: 'j' } });
    expect(slack.message('C1', ts)?.streamText).toBe('First words, more');
    expect(visibleText(slack.message('C1', ts)!)).toBe('First words, more');
  });

  it('rolls over to chat.update when a retry replaces the text, never repeating it', async () => {
    const ref = await surface.create('The answer is 4');
    await surface.edit(ref, 'The answer is 42, because');
    await surface.edit(ref, 'Let me start over: the answer is 42.');
    await surface.edit(ref, 'Let me start over: the answer is 42. Done.');
    await surface.edit(ref, 'Let me start over: the answer is 42. Done!', { final: true, controls: { kind: 'feedback', jobId: 'j' } });
    const message = slack.message('C1', ref.id)!;
    expect(message.streaming_state).toBe('completed');
    expect(visibleText(message)).toBe('Let me start over: the answer is 42. Done!');
    expect(slack.callsTo('chat.appendStream')).toHaveLength(1);
    expect(slack.callsTo('chat.update').length).toBeGreaterThanOrEqual(3);
  });

  it('rolls over when Slack ends the stream mid-answer, keeping every word', async () => {
    const ref = await surface.create('Streaming along');
    await surface.edit(ref, 'Streaming along nicely');
    slack.expireStreams();
    await surface.edit(ref, 'Streaming along nicely, then more');
    expect(visibleText(slack.message('C1', ref.id)!)).toBe('Streaming along nicely, then more');
    await surface.edit(ref, 'Streaming along nicely, then more and the end', { final: true });
    expect(visibleText(slack.message('C1', ref.id)!)).toBe('Streaming along nicely, then more and the end');
  });

  it('rolls over when the stream is refused mid-answer, and posts later messages instead', async () => {
    const ref = await surface.create('Begin');
    slack.refuseStreaming('not_allowed');
    await surface.edit(ref, 'Begin and continue');
    expect(visibleText(slack.message('C1', ref.id)!)).toBe('Begin and continue');
    const next = await surface.create('A second message');
    expect(next.extra?.stream).toBeUndefined();
    expect(visibleText(slack.message('C1', next.id)!)).toBe('A second message');
    expect(surface.limits.nativeToolStatus).toBe(false);
  });

  it('falls back to posting when streaming is unavailable from the start', async () => {
    slack.refuseStreaming('feature_not_enabled');
    const ref = await surface.create('Hi there', { controls: { kind: 'stop', jobId: 'j' } });
    expect(ref.extra?.stream).toBeUndefined();
    await surface.edit(ref, 'Hi there, friend', { final: true, controls: { kind: 'feedback', jobId: 'j' } });
    const message = slack.message('C1', ref.id)!;
    expect(visibleText(message)).toBe('Hi there, friend');
    expect(buttonsOf(message)).toEqual(['ofox_feedback_up', 'ofox_feedback_down']);
  });

  it('starts streams without the Stop button when Slack keeps buttons out of streams', async () => {
    slack.streamBlocksAllowed = false;
    const ref = await surface.create('Hello', { controls: { kind: 'stop', jobId: 'j' } });
    expect(ref.extra?.stream).toBe('1');
    const again = await surface.create('Again', { controls: { kind: 'stop', jobId: 'j' } });
    expect(slack.callsTo('chat.startStream').map((call) => call.outcome)).toEqual(['invalid_chunks', 'ok', 'ok']);
    expect(buttonsOf(slack.message('C1', again.id)!)).toEqual([]);
    await surface.edit(again, 'Again, done', { final: true, controls: { kind: 'feedback', jobId: 'j' } });
    expect(buttonsOf(slack.message('C1', again.id)!)).toEqual(['ofox_feedback_up', 'ofox_feedback_down']);
  });

  it('shows tool calls as task updates, sending each state once', async () => {
    const ref = await surface.create('Looking it up', { tools: [{ id: 't1', name: 'fetch_url', summary: 'https://a.test <!here>', state: 'running' }] });
    await surface.edit(ref, 'Looking it up', { tools: [{ id: 't1', name: 'fetch_url', summary: 'https://a.test', state: 'running' }] });
    await surface.edit(ref, 'Looking it up. Found it.', { tools: [{ id: 't1', name: 'fetch_url', summary: 'https://a.test', state: 'done', durationMs: 1200 }] });
    const task = slack.message('C1', ref.id)!.tasks.get('t1');
    expect(task).toMatchObject({ title: 'fetch_url', status: 'complete', output: 'done in 1.2 s' });
    expect(notificationsIn(task?.details ?? '')).toEqual([]);
    expect(slack.callsTo('chat.appendStream')).toHaveLength(1);
  });

  it('lists tool calls in a message that is not a stream (a posted placeholder)', async () => {
    // The ingress posts a plain placeholder when streams cannot hold its Stop button.
    const ts = slack.workspace.add({ channel: 'C1', thread_ts: threadTs, user: slack.botUserId, bot_id: slack.botId, text: 'Thinking…' }).ts;
    const ref: MessageRef = { id: ts, channelId: 'C1', extra: { threadTs } };
    expect(surface.limits.nativeToolStatus).toBe(true);
    await surface.edit(ref, 'Looking it up', { tools: [{ id: 't1', name: 'fetch_url', summary: 'https://a.test <!here>', state: 'running' }] });
    const shown = contextText(slack.message('C1', ts)!);
    expect(shown).toContain('fetch_url');
    expect(shown).toContain('https://a.test');
    expect(shown).toContain('running');
    expect(notificationsIn(shown)).toEqual([]);
    expect(visibleText(slack.message('C1', ts)!)).toBe('Looking it up');
  });

  it('lists tool calls after a stream rolled over to chat.update', async () => {
    const ref = await surface.create('Looking it up', { tools: [{ id: 't1', name: 'fetch_url', summary: 'https://a.test', state: 'running' }] });
    slack.expireStreams();
    await surface.edit(ref, 'Looking it up. Found it.', { tools: [{ id: 't1', name: 'fetch_url', summary: 'https://a.test', state: 'failed', error: 'timed out' }] });
    expect(contextText(slack.message('C1', ref.id)!)).toContain('failed: timed out');
  });

  it('neutralizes mentions in streamed markdown', async () => {
    const ref = await surface.create('Attention <!channel> and @here');
    await surface.edit(ref, 'Attention <!channel> and @here, <@U123>!', { final: true });
    const message = slack.message('C1', ref.id)!;
    expect(notificationsIn(message.streamText)).toEqual([]);
    expect(notificationsIn(visibleText(message))).toEqual([]);
    expect(notificationsIn(message.text)).toEqual([]);
  });

  it('turns a 429 into SurfaceRateLimitedError and loses nothing on the next edit', async () => {
    const ref = await surface.create('One');
    slack.failNext('chat.appendStream', 'ratelimited', { retryAfterSec: 3 });
    const error = await surface.edit(ref, 'One two').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SurfaceRateLimitedError);
    expect((error as SurfaceRateLimitedError).retryAfterMs).toBe(3000);
    await surface.edit(ref, 'One two three');
    expect(slack.message('C1', ref.id)?.streamText).toBe('One two three');
  });

  it('does not stall the client for the Retry-After of another call', async () => {
    slack.failNext('chat.appendStream', 'ratelimited', { retryAfterSec: 30 });
    const ref = await surface.create('A');
    const started = Date.now();
    await expect(surface.edit(ref, 'A b')).rejects.toBeInstanceOf(SurfaceRateLimitedError);
    await surface.create('Another message');
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it('reports a deleted message as gone', async () => {
    await portsWith('update');
    const updating = ports.surfaceFor(jobIn('C1', threadTs));
    const ref = await updating.create('x');
    slack.message('C1', ref.id)!.deleted = true;
    await expect(updating.edit(ref, 'y')).rejects.toBeInstanceOf(SurfaceMessageGoneError);
  });
});

describe('writes that may have landed', () => {
  it('never retries a post or a stream start that failed after reaching Slack', async () => {
    await portsWith('update');
    const threadTs = thread();
    slack.failNext('chat.postMessage', 'internal_error', { status: 500 });
    await expect(ports.surfaceFor(jobIn('C1', threadTs)).create('Hello')).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 500 });
    expect(slack.callsTo('chat.postMessage')).toHaveLength(1);
    await ports.close();
    await portsWith('native');
    slack.failNext('chat.startStream', 'internal_error', { status: 500 });
    await expect(ports.surfaceFor(jobIn('C1', threadTs)).create('Hello')).rejects.toMatchObject({ code: 'slack_webapi_http_error', statusCode: 500 });
    expect(slack.callsTo('chat.startStream')).toHaveLength(1);
  });

  it('keeps a started stream when recording it fails, and never starts a second one', async () => {
    const store = new MemoryStreamStateStore();
    let failures = 1;
    const flaky = {
      get: (key: string) => store.get(key),
      clear: () => store.clear(),
      async set(key: string, state: StreamState): Promise<void> {
        if (failures-- > 0) throw new Error('redis unavailable');
        await store.set(key, state);
      },
    };
    ports = createSlackPorts(slackTestConfig(slack), silentLogger(), { streamStates: flaky });
    const surface = ports.surfaceFor(jobIn('C1', thread()));
    const ref = await surface.create('Hello', { controls: { kind: 'stop', jobId: 'j' } });
    await surface.edit(ref, 'Hello, world');
    // Without the record the text must not be appended a second time ("HelloHello, world").
    expect(visibleText(slack.message('C1', ref.id)!)).toBe('Hello, world');
    await surface.edit(ref, 'Hello, world. Done.', { final: true, controls: { kind: 'feedback', jobId: 'j' } });
    expect(slack.callsTo('chat.startStream')).toHaveLength(1);
    const message = slack.message('C1', ref.id)!;
    expect(message.streaming_state).toBe('completed');
    expect(visibleText(message)).toBe('Hello, world. Done.');
    expect(buttonsOf(message)).toEqual(['ofox_feedback_up', 'ofox_feedback_down']);
  });
});

describe('a job that moves to another worker', () => {
  it('continues the same stream without repeating what the first worker appended', async () => {
    const prefix = newTestPrefix('slack-streams');
    const redis = new Redis(testRedisUrl());
    try {
      const config = slackTestConfig(slack);
      const first = createSlackPorts(config, silentLogger(), { streamStates: new RedisStreamStateStore(redis, { prefix }) });
      const second = createSlackPorts(config, silentLogger(), { streamStates: new RedisStreamStateStore(redis, { prefix }) });
      const job = jobIn('C1', thread());
      const ref = await first.surfaceFor(job).create('Once upon');
      await first.surfaceFor(job).edit(ref, 'Once upon a time');
      // The first worker dies; the job is retried elsewhere with the same text so far.
      await second.surfaceFor(job).edit(ref, 'Once upon a time there was');
      expect(slack.message('C1', ref.id)?.streamText).toBe('Once upon a time there was');
      await second.surfaceFor(job).edit(ref, 'Once upon a time there was a fox.', { final: true });
      expect(visibleText(slack.message('C1', ref.id)!)).toBe('Once upon a time there was a fox.');
    } finally {
      await deleteKeys(prefix);
      redis.disconnect();
    }
  });
});

describe('update mode', () => {
  let surface: Surface;
  beforeEach(async () => {
    await portsWith('update');
    surface = ports.surfaceFor(jobIn('C1', thread()));
  });

  it('posts then edits mrkdwn sections, paced for Tier 3', async () => {
    expect(surface.limits).toMatchObject({ maxChars: 3500, minEditIntervalMs: 1200, nativeToolStatus: false });
    const ref = await surface.create('**Hi**', { controls: { kind: 'stop', jobId: 'j' } });
    await surface.edit(ref, '**Hi** there, [docs](https://d.test) <!channel>', { final: true, controls: { kind: 'feedback', jobId: 'j' } });
    const message = slack.message('C1', ref.id)!;
    expect(slack.callsTo('chat.startStream')).toEqual([]);
    expect(visibleText(message)).toBe('*Hi* there, <https://d.test|docs> &lt;\u2060!channel&gt;');
    expect(notificationsIn(message.text)).toEqual([]);
    expect(buttonsOf(message)).toEqual(['ofox_feedback_up', 'ofox_feedback_down']);
  });

  it('keeps a full 3,500-character message under every Slack limit', async () => {
    const text = `${'word & <tag> '.repeat(269)}`.slice(0, 3500);
    const ref = await surface.create(text);
    await surface.edit(ref, text, { final: true });
    expect(slack.calls.every((call) => call.outcome === 'ok')).toBe(true);
    expect(slack.message('C1', ref.id)!.blocks!.length).toBeGreaterThan(1);
  });

  it('turns a 429 on chat.update into SurfaceRateLimitedError', async () => {
    const ref = await surface.create('x');
    slack.failNext('chat.update', 'ratelimited', { retryAfterSec: 2 });
    const error = await surface.edit(ref, 'y').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SurfaceRateLimitedError);
    expect((error as SurfaceRateLimitedError).retryAfterMs).toBe(2000);
  });
});
