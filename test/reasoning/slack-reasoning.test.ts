import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { RedisAnsweredThreads, RedisStreamStateStore, createSlackPorts, startSlackIngress, type SlackIngress } from '../../adapters/slack/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import type { ReasoningMode } from '../../src/settings/index.ts';
import { DEFAULT_FAKE_MODELS, finish, reasoning, text, wait, type Step } from '../fakes/ofox/index.ts';
import { FakeSlack, SlackEventSender } from '../fakes/slack/index.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';

/**
 * Reasoning on Slack end to end: real Bolt against the fake Slack, the real queue and worker, the
 * real OfoxAI client against the fake gateway. Posted-and-updated messages show the line as a
 * context block; native streams as a task card.
 */

const SECRET = 'reasoning-e2e-secret';
const REASONER = 'openai/o-reasoner';
const THINKING = 'The user asks for six times seven.\nMultiplying: <@U999> @channel 6 × 7.\nSo the answer is 42.';
const ANSWER = 'Six times seven is **42**.';
const ANSWER_MRKDWN = 'Six times seven is *42*.';

interface SlackStack {
  slack: FakeSlack;
  pipeline: Pipeline;
  ingress: SlackIngress;
  sender: SlackEventSender;
}

async function startSlackStack(streaming: 'native' | 'update'): Promise<SlackStack> {
  const slack = await new FakeSlack().start();
  slack.addUser('UALICE', 'alice');
  const pipeline = await startPipeline({
    env: { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', SLACK_STREAMING: streaming },
    ports: (core) => [createSlackPorts(core.config, silentLogger(), { streamStates: new RedisStreamStateStore(core.redis, { prefix: core.config.REDIS_KEY_PREFIX }) })],
  });
  pipeline.fakeOfox.setModels([...DEFAULT_FAKE_MODELS, { id: REASONER, context_length: 200_000, supported_parameters: ['reasoning'] }]);
  const ingress = await startSlackIngress(pipeline.config, pipeline.services, silentLogger(), { port: 0, answeredThreads: new RedisAnsweredThreads(pipeline.core.redis, { prefix: pipeline.config.REDIS_KEY_PREFIX }) });
  const sender = new SlackEventSender({ url: `http://127.0.0.1:${ingress.port}/slack/events`, signingSecret: SECRET, slack });
  return { slack, pipeline, ingress, sender };
}

async function stopSlackStack(stack: SlackStack | undefined): Promise<void> {
  await stack?.ingress.stop();
  await stack?.pipeline.stop();
  await stack?.slack.stop();
}

function thinkingThenAnswer(): Step[] {
  return [reasoning(THINKING, { chunkSize: 12 }), wait(2_500), text(ANSWER), finish('stop')];
}

/** Asks in C1 under `mode`; returns the thread's bot replies and the question's ts. */
async function ask(stack: SlackStack, mode: ReasoningMode, prompt: string, model = REASONER): Promise<{ threadTs: string }> {
  await stack.pipeline.core.settings.update({ platform: 'slack', workspaceId: stack.slack.teamId, channelId: 'C1' }, 'channel', { model, reasoning: mode });
  const sent = await stack.sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${stack.slack.botUserId}> ${prompt}` });
  const result = await stack.pipeline.waitForJob(jobIdFor('slack', sent.eventId!), 20_000);
  expect(result?.outcome).toBe('complete');
  return { threadTs: sent.ts };
}

/** The reasoning context lines the answer's writes carried, in order, without repeats. */
function contextLines(stack: SlackStack): string[] {
  const lines = [...stack.slack.callsTo('chat.postMessage'), ...stack.slack.callsTo('chat.update')]
    .sort((a, b) => a.at - b.at)
    .flatMap((call) => {
      const blocks = typeof call.args.blocks === 'string' ? (JSON.parse(call.args.blocks) as unknown[]) : ((call.args.blocks ?? []) as unknown[]);
      return (blocks as Array<{ block_id?: string; elements?: Array<{ text: string }> }>).filter((block) => block.block_id === 'ofox_reasoning').map((block) => block.elements?.[0]?.text ?? '');
    });
  return lines.filter((line, index) => lines[index - 1] !== line);
}

function blockIds(stack: SlackStack, threadTs: string): string[] {
  const answer = stack.slack.botReplies('C1', threadTs)[0];
  return (answer?.blocks ?? []).map((block) => String(block.block_id ?? block.type));
}

describe('reasoning on Slack (post and update)', () => {
  let stack: SlackStack;
  beforeAll(async () => {
    stack = await startSlackStack('update');
  });
  afterAll(async () => {
    await stopSlackStack(stack);
  });
  beforeEach(() => {
    stack.pipeline.fakeOfox.reset();
    stack.slack.calls.length = 0;
  });

  it('off: no reasoning requested, no context line, the answer alone', async () => {
    stack.pipeline.fakeOfox.enqueue(thinkingThenAnswer());
    const { threadTs } = await ask(stack, 'off', 'six times seven? (off)');
    expect(stack.pipeline.fakeOfox.chatRequests()[0]?.body).not.toHaveProperty('reasoning');
    expect(contextLines(stack)).toEqual([]);
    expect(stack.slack.botReplies('C1', threadTs).map((message) => message.text)).toEqual([ANSWER_MRKDWN]);
  });

  it('status: "thinking…" in a context block while it reasons, gone from the final message', async () => {
    stack.pipeline.fakeOfox.enqueue(thinkingThenAnswer());
    const { threadTs } = await ask(stack, 'status', 'six times seven? (status)');
    expect(stack.pipeline.fakeOfox.chatRequests()[0]?.body).toMatchObject({ reasoning: { effort: 'medium' } });
    expect(contextLines(stack)).toEqual(['💭 thinking…']);
    expect(stack.slack.botReplies('C1', threadTs).map((message) => message.text)).toEqual([ANSWER_MRKDWN]);
    expect(blockIds(stack, threadTs)).not.toContain('ofox_reasoning');
  });

  it('summary: the latest reasoning line in a context block, mentions broken, gone from the final message', async () => {
    stack.pipeline.fakeOfox.enqueue(thinkingThenAnswer());
    const { threadTs } = await ask(stack, 'summary', 'six times seven? (summary)');
    const lines = contextLines(stack);
    expect(lines.at(-1)).toBe('💭 So the answer is 42.');
    for (const line of lines) {
      expect(['💭 The user asks for six times seven.', '💭 Multiplying: &lt;\u2060@U999&gt; @\u2060channel 6 × 7.', '💭 So the answer is 42.']).toContain(line);
    }
    expect(stack.slack.botReplies('C1', threadTs).map((message) => message.text)).toEqual([ANSWER_MRKDWN]);
    expect(blockIds(stack, threadTs)).not.toContain('ofox_reasoning');
  });

  it('full: the whole reasoning once, as reasoning.txt in the thread after the answer', async () => {
    stack.pipeline.fakeOfox.enqueue(thinkingThenAnswer());
    const { threadTs } = await ask(stack, 'full', 'six times seven? (full)');
    expect(contextLines(stack)).toEqual(['💭 thinking…']);
    const replies = stack.slack.botReplies('C1', threadTs);
    expect(replies.map((message) => message.text)).toEqual([ANSWER_MRKDWN, '']);
    expect(replies[1]?.files?.map((file) => ({ name: file.name, content: file.content.toString('utf8') }))).toEqual([{ name: 'reasoning.txt', content: `${THINKING}\n` }]);
  });
});

describe('reasoning on Slack (native streams)', () => {
  let stack: SlackStack;
  beforeAll(async () => {
    stack = await startSlackStack('native');
  });
  afterAll(async () => {
    await stopSlackStack(stack);
  });

  it('summary: a task card that follows the reasoning, completed when the answer starts; the streamed text is the answer alone', async () => {
    stack.pipeline.fakeOfox.enqueue(thinkingThenAnswer());
    const { threadTs } = await ask(stack, 'summary', 'six times seven? (native summary)');
    const answer = stack.slack.botReplies('C1', threadTs)[0]!;
    const cards = answer.chunks.filter((chunk) => chunk.type === 'task_update' && chunk.id === 'ofox_reasoning');
    expect(cards.at(-2)).toEqual({ type: 'task_update', id: 'ofox_reasoning', title: '💭 So the answer is 42.', status: 'in_progress' });
    expect(cards.at(-1)).toEqual({ type: 'task_update', id: 'ofox_reasoning', title: 'Reasoning', status: 'complete' });
    expect(answer.streamText).toBe(ANSWER);
    expect((answer.blocks ?? []).map((block) => block.block_id ?? block.type)).not.toContain('ofox_reasoning');
  });
});
