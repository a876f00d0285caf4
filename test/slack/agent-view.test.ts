import { afterEach, describe, expect, it } from 'vitest';
import { RedisAnsweredThreads, RedisStreamStateStore, createSlackPorts, startSlackIngress, type SlackIngress } from '../../adapters/slack/index.ts';
import { GREETING } from '../../adapters/slack/agent-view.ts';
import { SUGGESTED_PROMPTS } from '../../adapters/slack/assistant.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import { reply } from '../fakes/ofox/index.ts';
import { FakeSlack, SlackEventSender, visibleText } from '../fakes/slack/index.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';
import { eventually, sleep } from './support.ts';

/**
 * Slack's Agent messaging experience (agent_view), the whole way through: app_home_opened on the
 * Messages tab → greeting and suggested prompts; a top-level DM (no assistant_app_thread root) →
 * title and "is thinking…" status as the acknowledgment → real Redis, BullMQ and worker → the answer
 * in the message's thread. And the assistant container still works with SLACK_EXPERIENCE=assistant.
 */

const SECRET = 'agent-view-secret';
let slack: FakeSlack;
let pipeline: Pipeline;
let ingress: SlackIngress;
let sender: SlackEventSender;

async function start(env: Record<string, string> = {}): Promise<void> {
  slack = await new FakeSlack().start();
  slack.addUser('UALICE', 'alice');
  pipeline = await startPipeline({
    env: { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', ...env },
    ports: (core) => [createSlackPorts(core.config, silentLogger(), { streamStates: new RedisStreamStateStore(core.redis, { prefix: core.config.REDIS_KEY_PREFIX }) })],
  });
  ingress = await startSlackIngress(pipeline.config, pipeline.services, silentLogger(), {
    port: 0,
    answeredThreads: new RedisAnsweredThreads(pipeline.core.redis, { prefix: pipeline.config.REDIS_KEY_PREFIX }),
  });
  sender = new SlackEventSender({ url: `http://127.0.0.1:${ingress.port}/slack/events`, signingSecret: SECRET, slack });
}

afterEach(async () => {
  await ingress?.stop();
  await pipeline?.stop();
  await slack?.stop();
});

describe('the Agent messaging experience (default)', () => {
  it('greets once and offers suggested prompts (without a thread) each time the Messages tab opens; other tabs do nothing', async () => {
    await start();
    await sender.appHomeOpened({ user: 'UALICE', channel: 'D1', tab: 'home' });
    await sender.appHomeOpened({ user: 'UALICE', channel: 'D1', tab: 'messages' });
    await eventually(() => slack.callsTo('assistant.threads.setSuggestedPrompts').length === 1);
    await sender.appHomeOpened({ user: 'UALICE', channel: 'D1', tab: 'messages' });
    await eventually(() => slack.callsTo('assistant.threads.setSuggestedPrompts').length === 2);
    await sleep(100);
    const prompts = slack.callsTo('assistant.threads.setSuggestedPrompts').map((call) => call.args);
    expect(prompts.map((args) => [args.channel_id, args.thread_ts, args.title])).toEqual([
      ['D1', undefined, 'Try asking'],
      ['D1', undefined, 'Try asking'],
    ]);
    expect(slack.workspace.suggestedPrompts.get('D1:')).toEqual(SUGGESTED_PROMPTS.prompts);
    const greetings = slack.callsTo('chat.postMessage');
    expect(greetings.map((call) => [call.args.channel, call.args.thread_ts])).toEqual([['D1', undefined]]);
    expect(String(greetings[0]!.args.text)).toContain("Hi! I'm OfoxAI");
    expect(GREETING).toContain('Ask me anything');
  });

  it('a top-level DM is answered in its own thread, with a title and the status as the acknowledgment', async () => {
    await start();
    pipeline.fakeOfox.enqueue(reply('Monday: plan. Tuesday: build.', { tokensPerSecond: 20 }));
    await sender.appHomeOpened({ user: 'UALICE', channel: 'D1', tab: 'messages' });
    await eventually(() => slack.callsTo('assistant.threads.setSuggestedPrompts').length === 1);
    const sent = await sender.message({ channel: 'D1', user: 'UALICE', text: 'plan my week' });
    const result = await pipeline.waitForJob(jobIdFor('slack', sent.eventId!), 15_000);
    expect(result?.outcome).toBe('complete');
    expect(slack.workspace.titles.get(`D1:${sent.ts}`)).toBe('plan my week');
    expect(slack.workspace.assistantStatus.get(`D1:${sent.ts}`)?.[0]).toBe('is thinking…');
    // The status came before any answer was written, and no placeholder was posted.
    const statusAt = slack.calls.findIndex((call) => call.method === 'assistant.threads.setStatus');
    const answerAt = slack.calls.findIndex((call) => (call.method === 'chat.startStream' || call.method === 'chat.postMessage') && call.args.thread_ts === sent.ts);
    expect(statusAt).toBeGreaterThanOrEqual(0);
    expect(statusAt).toBeLessThan(answerAt);
    expect(slack.botReplies('D1', sent.ts).map(visibleText)).toEqual(['Monday: plan. Tuesday: build.']);
  });

  it('a reply in that thread is a follow-up in the same conversation (status, no new title)', async () => {
    await start();
    pipeline.fakeOfox.enqueue(reply('First answer.'), reply('Second answer.'));
    const first = await sender.message({ channel: 'D1', user: 'UALICE', text: 'first question' });
    expect((await pipeline.waitForJob(jobIdFor('slack', first.eventId!), 15_000))?.outcome).toBe('complete');
    const second = await sender.message({ channel: 'D1', user: 'UALICE', text: 'and then?', thread_ts: first.ts });
    expect((await pipeline.waitForJob(jobIdFor('slack', second.eventId!), 15_000))?.outcome).toBe('complete');
    expect(slack.callsTo('assistant.threads.setTitle').map((call) => call.args.title)).toEqual(['first question']);
    expect(slack.botReplies('D1', first.ts).map(visibleText)).toEqual(['First answer.', 'Second answer.']);
  });
});

describe('the assistant container (SLACK_EXPERIENCE=assistant)', () => {
  it('ignores the Messages tab and answers a top-level DM with a placeholder', async () => {
    await start({ SLACK_EXPERIENCE: 'assistant' });
    pipeline.fakeOfox.enqueue(reply('Hello back.'));
    await sender.appHomeOpened({ user: 'UALICE', channel: 'D1', tab: 'messages' });
    const sent = await sender.message({ channel: 'D1', user: 'UALICE', text: 'hello' });
    expect((await pipeline.waitForJob(jobIdFor('slack', sent.eventId!), 15_000))?.outcome).toBe('complete');
    expect(slack.callsTo('assistant.threads.setSuggestedPrompts')).toHaveLength(0);
    // The ingress acknowledged with a placeholder (a stream), not with a title and status.
    expect(slack.callsTo('assistant.threads.setTitle')).toHaveLength(0);
    expect(slack.callsTo('chat.startStream').map((call) => call.args.thread_ts)).toEqual([sent.ts]);
    expect(slack.botReplies('D1', sent.ts).map(visibleText)).toEqual(['Hello back.']);
  });
});
