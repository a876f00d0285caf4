import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisAnsweredThreads, RedisStreamStateStore, createSlackPorts, startSlackIngress, type SlackIngress } from '../../adapters/slack/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import { finish, text, wait, type FakeRequest, type Step } from '../fakes/ofox/index.ts';
import { FakeSlack, SlackEventSender, buttonsOf, visibleText, type FakeMessage } from '../fakes/slack/index.ts';
import { startPipeline, TEST_API_KEY, type Pipeline } from '../helpers/pipeline.ts';
import { testRedisUrl } from '../helpers/redis.ts';
import { eventually } from './support.ts';

/**
 * Answers that outlive Slack's limits on one native stream: at most 12,000 characters of markdown
 * per call, and streams Slack reports closed after a few minutes. Real Bolt ingress, Redis,
 * BullMQ, workers and OfoxAI client against the fakes; the fake Slack ends streams older than
 * `STREAM_LIFETIME_MS` and refuses longer markdown, so the tests prove the answer moves on first.
 */

const SECRET = 'long-streams-signing-secret';
/**
 * SLACK_STREAM_MAX_AGE_MS for these tests (minutes in production, seconds here). Streams then close
 * about every 3 s, two post-class calls each: under the channel's 1 a second, so the pacer never
 * holds a stream's last write back for long.
 */
const MAX_AGE_MS = 4_000;
/** When the fake Slack ends a stream, as Slack does after about five minutes. */
const STREAM_LIFETIME_MS = 6_000;
/** SLACK_STREAM_MAX_CHARS' default. */
const MAX_CHARS = 11_000;
const ENV = { SLACK_SIGNING_SECRET: SECRET, PORT: '0', SLACK_STREAM_MAX_AGE_MS: String(MAX_AGE_MS) };
const workerScript = fileURLToPath(new URL('./support/slack-worker-process.ts', import.meta.url));

let slack: FakeSlack | undefined;
let pipeline: Pipeline | undefined;
let ingress: SlackIngress | undefined;
let child: ChildProcess | undefined;

afterEach(async () => {
  if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  child = undefined;
  await ingress?.stop();
  await pipeline?.stop();
  await slack?.stop();
  ingress = undefined;
  pipeline = undefined;
  slack = undefined;
});

/** 30,000 characters of prose in paragraphs, ending in a word (the renderer trims trailing space). */
function longAnswer(): string {
  const paragraphs: string[] = [];
  for (let index = 0; paragraphs.join('\n\n').length < 31_000; index += 1) {
    paragraphs.push(`Paragraph ${index}: ${'the quick brown fox jumps over the lazy dog and keeps running '.repeat(6).trim()}.`);
  }
  return `${paragraphs.join('\n\n').slice(0, 29_999)}.`;
}

/**
 * Slow in two ways: after a fast start (longer than one message), text trickles in, then the
 * model goes quiet for longer than a stream may live (as while a tool runs), then trickles again.
 */
function slowAnswer(answer: string): Step[] {
  return [
    // 12,000 characters in about half a second: more than one message holds.
    text(answer.slice(0, 12_000), { chunkSize: 400, tokensPerSecond: 60 }),
    // 2,000 characters a second for 4.5 s: the stream ages out before it fills.
    text(answer.slice(12_000, 21_000), { chunkSize: 100, tokensPerSecond: 20 }),
    wait(MAX_AGE_MS + 500),
    text(answer.slice(21_000), { chunkSize: 100, tokensPerSecond: 20 }),
    finish('stop'),
  ];
}

async function startStack(options: { workers: boolean }): Promise<{ sender: SlackEventSender }> {
  slack = await new FakeSlack({ streamLifetimeMs: STREAM_LIFETIME_MS }).start();
  slack.addUser('UALICE', 'alice');
  const fake = slack;
  pipeline = await startPipeline({
    env: { ...ENV, SLACK_BOT_TOKEN: fake.botToken, SLACK_API_URL: fake.apiUrl },
    ports: (core) => [createSlackPorts(core.config, silentLogger(), { streamStates: new RedisStreamStateStore(core.redis, { prefix: core.config.REDIS_KEY_PREFIX }) })],
    workers: options.workers ? { lockDurationMs: 2_000 } : false,
  });
  ingress = await startSlackIngress(pipeline.config, pipeline.services, silentLogger(), {
    port: 0,
    answeredThreads: new RedisAnsweredThreads(pipeline.core.redis, { prefix: pipeline.config.REDIS_KEY_PREFIX }),
  });
  return { sender: new SlackEventSender({ url: `http://127.0.0.1:${ingress.port}/slack/events`, signingSecret: SECRET, slack: fake }) };
}

async function mention(sender: SlackEventSender): Promise<{ ts: string; jobId: string }> {
  const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack!.botUserId}> write me a long essay` });
  expect(sent.status).toBe(200);
  return { ts: sent.ts, jobId: jobIdFor('slack', sent.eventId!) };
}

/** Waits for the job; reads the result again when the first read raced the completion. */
async function completed(jobId: string, timeoutMs: number): Promise<string> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const result = await pipeline!.waitForJob(jobId, timeoutMs);
    if (result) return result.outcome;
  }
  throw new Error(`job ${jobId} completed without a result`);
}

/** Every stream was stopped by the bot, once, before SLACK_STREAM_MAX_AGE_MS (so well before Slack ends it). */
function expectStoppedInTime(messages: FakeMessage[]): void {
  for (const message of messages) {
    expect(message.streaming_state).toBe('completed');
    const stops = slack!.callsTo('chat.stopStream').filter((call) => call.args.ts === message.ts);
    expect(stops.map((call) => call.outcome)).toEqual(['ok']);
    expect(stops[0]!.at - message.streamStartedAt!).toBeLessThan(MAX_AGE_MS);
  }
}

/** No call carried more markdown than Slack takes, and none was refused for it. */
function expectNoCallOverLimits(): void {
  for (const call of slack!.calls) {
    expect(call.outcome === 'msg_too_long' || call.outcome === 'invalid_blocks').toBe(false);
    const chunks = Array.isArray(call.args.chunks) ? (call.args.chunks as Array<{ type?: string; text?: string }>) : [];
    const markdown = chunks.filter((chunk) => chunk.type === 'markdown_text').reduce((sum, chunk) => sum + (chunk.text?.length ?? 0), 0);
    expect(markdown).toBeLessThanOrEqual(12_000);
  }
}

function startWorkerProcess(): Promise<ChildProcess> {
  const process_ = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', workerScript], {
    env: {
      ...process.env,
      TEST_REDIS_URL: testRedisUrl(),
      TEST_PREFIX: pipeline!.prefix,
      TEST_OFOX_URL: pipeline!.fakeOfox.openaiBaseUrl,
      TEST_OFOX_KEY: TEST_API_KEY,
      TEST_LOCK_MS: '2000',
      TEST_SLACK_TOKEN: slack!.botToken,
      TEST_SLACK_URL: slack!.apiUrl,
      TEST_SLACK_STREAM_MAX_AGE_MS: String(MAX_AGE_MS),
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  child = process_;
  return new Promise((resolve, reject) => {
    // Starting a second Node process with the whole app takes seconds on a busy machine.
    const timer = setTimeout(() => reject(new Error('worker process did not start')), 60_000);
    process_.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(process_);
      }
    });
    process_.once('exit', (code) => reject(new Error(`worker process exited early with ${code}`)));
  });
}

describe('Slack answers longer and slower than one stream', () => {
  it('a 30,000-character slow answer goes on in new streams before 12,000 characters or SLACK_STREAM_MAX_AGE_MS, nothing lost or repeated', async () => {
    const { sender } = await startStack({ workers: true });
    const answer = longAnswer();
    expect(answer.length).toBe(30_000);
    pipeline!.fakeOfox.enqueue(slowAnswer(answer));
    const { ts, jobId } = await mention(sender);
    expect(await completed(jobId, 60_000)).toBe('complete');

    const messages = slack!.botReplies('C1', ts);
    // 30,000 characters need three messages by length; the trickle and the pause need more by age.
    expect(messages.length).toBeGreaterThan(3);
    for (const message of messages) {
      expect(message.streaming_state).toBe('completed');
      expect(visibleText(message).length).toBeLessThanOrEqual(MAX_CHARS);
    }
    // Every message a person reads, in order, is the model's answer exactly once.
    expect(messages.map(visibleText).join('')).toBe(answer);
    expectStoppedInTime(messages);
    expectNoCallOverLimits();
    // Appends only ever went to open streams younger than the limit.
    expect(slack!.callsTo('chat.appendStream').map((call) => call.outcome).filter((outcome) => outcome !== 'ok')).toEqual([]);
    for (const call of slack!.callsTo('chat.appendStream')) {
      const message = messages.find((candidate) => candidate.ts === call.args.ts)!;
      expect(call.at - message.streamStartedAt!).toBeLessThan(MAX_AGE_MS);
    }
    // Feedback buttons only under the last message.
    expect(messages.map(buttonsOf)).toEqual([...messages.slice(1).map(() => []), ['ofox_feedback_up', 'ofox_feedback_down']]);
    // Every message is recorded in the job, so a retry edits them instead of posting again.
    const job = await pipeline!.jobData(jobId);
    expect([job!.placeholder!.id, ...job!.continuations.map((ref) => ref.id)]).toEqual(messages.map((message) => message.ts));
    // The ingress stamped when it started the first stream, so the worker counted its age from then.
    const stamped = Number(job!.placeholder!.extra!.startedAt);
    expect(messages[0]!.streamStartedAt! - stamped).toBeGreaterThanOrEqual(0);
    expect(messages[0]!.streamStartedAt! - stamped).toBeLessThan(1_000);
    expect(slack!.rateLimitedCount).toBe(0);
  }, 90_000);

  it('the same answer with its worker killed mid-answer: another worker resumes it, no message twice, no stream left open', async () => {
    const { sender } = await startStack({ workers: false });
    const answer = longAnswer();
    let requests = 0;
    pipeline!.fakeOfox.respond((_request: FakeRequest) => {
      requests += 1;
      // The resumed attempt regenerates the answer from the start, faster.
      return requests === 1 ? slowAnswer(answer) : [text(answer, { chunkSize: 1_000, tokensPerSecond: 40 }), finish('stop')];
    });
    const first = await startWorkerProcess();
    const { ts, jobId } = await mention(sender);
    // Killed once the answer has gone on in a second message, recorded in the job (the guarantee
    // every continuation has), while that message is still streaming.
    await eventually(async () => {
      const replies = slack!.botReplies('C1', ts);
      const recorded = (await pipeline!.jobData(jobId))?.continuations.length === 1;
      return recorded && replies.length === 2 && replies[1]!.streaming_state === 'in_progress' && replies[1]!.streamText.length > 0;
    }, 20_000);
    const exited = new Promise((resolve) => first.once('exit', resolve));
    first.kill('SIGKILL');
    await exited;
    const atKill = slack!.botReplies('C1', ts).map((message) => message.ts);
    expect(atKill).toHaveLength(2);

    await pipeline!.startWorkers(
      [createSlackPorts(pipeline!.config, silentLogger(), { streamStates: new RedisStreamStateStore(pipeline!.core.redis, { prefix: pipeline!.prefix }) })],
      { lockDurationMs: 2_000 },
    );
    expect(await completed(jobId, 60_000)).toBe('complete');
    expect(requests).toBe(2);

    const messages = slack!.botReplies('C1', ts);
    // The two messages of the killed attempt were edited, not posted again; the rest came after.
    expect(messages.slice(0, 2).map((message) => message.ts)).toEqual(atKill);
    expect(messages.map(visibleText).join('')).toBe(answer);
    // No stream left open: the killed worker's streams were stopped by the one that resumed.
    expect(messages.slice(0, 2).map((message) => message.streaming_state)).toEqual(['completed', 'completed']);
    for (const message of messages) {
      expect(message.streaming_state === 'in_progress').toBe(false);
      expect(visibleText(message).length).toBeLessThanOrEqual(MAX_CHARS);
    }
    expectNoCallOverLimits();
    // Nothing was ever appended to a stream past the limit, by either worker.
    expect(slack!.callsTo('chat.appendStream').map((call) => call.outcome).filter((outcome) => outcome !== 'ok')).toEqual([]);
    expect(messages.map(buttonsOf)).toEqual([...messages.slice(1).map(() => []), ['ofox_feedback_up', 'ofox_feedback_down']]);
    const job = await pipeline!.jobData(jobId);
    expect([job!.placeholder!.id, ...job!.continuations.map((ref) => ref.id)]).toEqual(messages.map((message) => message.ts));
  }, 150_000);
});
