import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisAnsweredThreads, RedisStreamStateStore, createSlackPorts, startSlackIngress, type SlackIngress } from '../../adapters/slack/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import type { ChatAnswerResult } from '../../src/worker/processor.ts';
import { finish, reply, text, toolCall, type FakeRequest } from '../fakes/ofox/index.ts';
import { FakeSlack, SlackEventSender, buttonsOf, notificationsIn, visibleText, type FakeMessage } from '../fakes/slack/index.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';
import { eventually } from './support.ts';

/**
 * The whole way through: signed Slack events → real Bolt ingress → real Redis + BullMQ → real
 * worker and OfoxAI client (against the fake OfoxAI) → the Slack surface → the fake Slack.
 */

const SECRET = 'e2e-signing-secret';
let slack: FakeSlack;
let pipeline: Pipeline;
let ingress: SlackIngress;
let sender: SlackEventSender;

async function start(env: Record<string, string> = {}): Promise<void> {
  slack = await new FakeSlack().start();
  slack.addUser('UALICE', 'alice');
  slack.addUser('UBOB', 'bob');
  pipeline = await startPipeline({
    env: { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, SLACK_ADMIN_USER_IDS: 'UADMIN', PORT: '0', ...env },
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

async function mention(prompt: string, user = 'UALICE'): Promise<{ ts: string; jobId: string }> {
  const sent = await sender.appMention({ channel: 'C1', user, text: `<@${slack.botUserId}> ${prompt}` });
  expect(sent.status).toBe(200);
  return { ts: sent.ts, jobId: jobIdFor('slack', sent.eventId!) };
}

/**
 * pipeline.waitForJob can read the job just before it completes and its state just after, and then
 * hands back a null return value; asking again reads both after completion.
 */
async function finished(jobId: string, timeoutMs?: number): Promise<ChatAnswerResult> {
  for (let attempt = 0; attempt < 3; attempt += 1) {
    const result = await pipeline.waitForJob(jobId, timeoutMs);
    if (result) return result;
  }
  throw new Error(`job ${jobId} completed without a result`);
}

function answerMessages(threadTs: string, channel = 'C1'): FakeMessage[] {
  return slack.botReplies(channel, threadTs);
}

/** Starts the stack with a tools config file in which the calculator needs approval. */
async function startWithCalculatorApproval(env: Record<string, string> = {}): Promise<void> {
  const file = join(mkdtempSync(join(tmpdir(), 'ofox-slack-')), 'ofox-bot.config.yaml');
  writeFileSync(file, 'tools:\n  calculator:\n    requiresApproval: true\n');
  await start({ OFOX_BOT_CONFIG: file, ...env });
}

/** The approval prompt in the answer's thread, and the approval id its buttons carry. */
async function approvalPrompt(threadTs: string): Promise<{ approval: FakeMessage; approvalId: string }> {
  const approval = await eventually(() => answerMessages(threadTs).find((message) => buttonsOf(message).includes('ofox_approve')), 10_000);
  const actions = approval.blocks!.find((block) => block.type === 'actions') as { elements: Array<{ value: string }> };
  return { approval, approvalId: String(actions.elements[0]!.value) };
}

/** The tool results (OpenAI wire shape) the model was sent in one request. */
function toolResultsIn(request: FakeRequest | undefined): string[] {
  const messages = (request?.messages ?? []) as Array<{ role?: string; content?: unknown }>;
  return messages.filter((message) => message.role === 'tool').map((message) => String(message.content));
}

describe('end to end', () => {
  it('a mention gets a streamed answer equal to the model’s text', async () => {
    await start();
    const answer = 'A monad is a **monoid** in the category of endofunctors.\n\n- `bind` chains\n- `return` wraps\n\nSee [docs](https://example.com).';
    pipeline.fakeOfox.enqueue(reply(answer, { tokensPerSecond: 12 }));
    const { ts, jobId } = await mention('what is a monad?');
    const result = await finished(jobId);
    expect(result.outcome).toBe('complete');
    const messages = answerMessages(ts);
    expect(messages).toHaveLength(1);
    const [message] = messages as [FakeMessage];
    expect(message.streaming_state).toBe('completed');
    expect(message.streamText).toBe(answer);
    expect(visibleText(message)).toBe(answer);
    expect(slack.callsTo('chat.appendStream').length).toBeGreaterThan(1);
    expect(buttonsOf(message)).toEqual(['ofox_feedback_up', 'ofox_feedback_down']);
  });

  it('falls back to post-and-update when Slack refuses streaming', async () => {
    await start();
    slack.refuseStreaming('feature_not_enabled');
    const answer = 'Plain **answer** without streaming, in a few words that arrive slowly.';
    pipeline.fakeOfox.enqueue(reply(answer, { tokensPerSecond: 20 }));
    const { ts, jobId } = await mention('hello');
    expect((await finished(jobId)).outcome).toBe('complete');
    const [message, ...others] = answerMessages(ts);
    expect(others).toEqual([]);
    expect(message?.streaming_state).toBeUndefined();
    expect(visibleText(message!)).toBe(answer);
    expect(slack.callsTo('chat.update').length).toBeGreaterThan(1);
  });

  it('update mode shows the answer as mrkdwn', async () => {
    await start({ SLACK_STREAMING: 'update' });
    pipeline.fakeOfox.enqueue(reply('Use **bold** and [links](https://a.test) & <angles>.'));
    const { ts, jobId } = await mention('format');
    await finished(jobId);
    expect(visibleText(answerMessages(ts)[0]!)).toBe('Use *bold* and <https://a.test|links> &amp; &lt;angles&gt;.');
  });

  it('a 6,000-word answer is split cleanly with its code fences intact', async () => {
    await start();
    const sections: string[] = [];
    for (let index = 0; sections.join(' ').split(/\s+/).length < 6_000; index += 1) {
      sections.push(`Paragraph ${index}: ${'lorem ipsum dolor sit amet consectetur '.repeat(12).trim()}.`);
      if (index % 3 === 0) sections.push(`\`\`\`ts\n${Array.from({ length: 12 }, (_, line) => `const value${index}_${line} = compute(${line}); // step ${line}`).join('\n')}\n\`\`\``);
    }
    const answer = sections.join('\n\n');
    pipeline.fakeOfox.enqueue(reply(answer, { chunkSize: 400 }));
    const { ts, jobId } = await mention('write a lot');
    const result = await finished(jobId, 60_000);
    expect(result.outcome).toBe('complete');
    const messages = answerMessages(ts);
    // 37,952 characters in native messages of at most SLACK_STREAM_MAX_CHARS (11,000), cut at
    // paragraphs: three of about 10,700 and the rest.
    expect(answer.length).toBe(37_952);
    expect(messages.length).toBe(4);
    for (const message of messages) {
      const shown = visibleText(message);
      expect(shown.length).toBeLessThanOrEqual(11_000);
      expect((shown.match(/^```/gm) ?? []).length % 2).toBe(0);
      expect(message.streaming_state).not.toBe('in_progress');
    }
    const words = (value: string): string[] => value.split(/\s+/).filter((word) => word && !word.startsWith('```'));
    expect(words(messages.map(visibleText).join('\n'))).toEqual(words(answer));
  }, 60_000);

  it('<!channel> in the model’s output notifies no one', async () => {
    await start();
    pipeline.fakeOfox.enqueue(reply('Attention <!channel> and <!here>, <@U0ALL> and @everyone: <!subteam^S1|@devs> lunch!', { tokensPerSecond: 20 }));
    const { ts, jobId } = await mention('announce lunch');
    await finished(jobId);
    for (const message of answerMessages(ts)) {
      expect(notificationsIn(message.streamText)).toEqual([]);
      expect(notificationsIn(message.text)).toEqual([]);
      expect(notificationsIn(visibleText(message))).toEqual([]);
    }
    for (const call of slack.calls) expect(notificationsIn(JSON.stringify(call.args))).toEqual([]);
  });

  it('slash subcommands answer, and a non-admin cannot change the model', async () => {
    await start();
    const refused = await sender.slashCommand({ command: '/ofox', text: 'model openai/gpt-4o-mini', user: 'UALICE', channel: 'C1' });
    const allowed = await sender.slashCommand({ command: '/ofox', text: 'model openai/gpt-4o-mini', user: 'UADMIN', channel: 'C1' });
    const help = await sender.slashCommand({ command: '/ofox', text: 'help', user: 'UALICE', channel: 'C1' });
    const replyTo = (id: string) => eventually(() => slack.responses.find((response) => response.id === id)?.body);
    expect(String((await replyTo(refused.responseId)).text)).toMatch(/admin/i);
    expect((await replyTo(allowed.responseId)).text).toContain('gpt-4o-mini');
    expect(String((await replyTo(help.responseId)).text).length).toBeGreaterThan(20);
    expect((await pipeline.core.settings.resolve({ platform: 'slack', workspaceId: slack.teamId, channelId: 'C1' })).model).toBe('openai/gpt-4o-mini');
  });

  it('slash ask answers in a thread under the question', async () => {
    await start();
    pipeline.fakeOfox.enqueue(reply('Forty-two.'));
    const sent = await sender.slashCommand({ command: '/ofox', text: 'ask the answer?', user: 'UALICE', userName: 'alice', channel: 'C1', triggerId: '42.42.abc' });
    expect(sent.status).toBe(200);
    await finished(jobIdFor('slack', '42.42.abc'));
    const question = slack.workspace.channelMessages('C1').find((message) => message.text.includes('alice asked:'));
    expect(visibleText(answerMessages(question!.ts)[0]!)).toBe('Forty-two.');
  });

  it('Stop cancels the answer', async () => {
    await start();
    pipeline.fakeOfox.enqueue([text('word '.repeat(400), { tokensPerSecond: 10 }), finish('stop')]);
    const { ts, jobId } = await mention('talk forever');
    const message = await eventually(() => answerMessages(ts).find((candidate) => candidate.streamText.length > 0), 10_000);
    await sender.blockAction({ actionId: 'ofox_stop', value: jobId, user: 'UBOB', channel: 'C1', messageTs: message.ts, threadTs: ts });
    await eventually(() => slack.workspace.ephemerals.some((note) => note.user === 'UBOB'));
    await sender.blockAction({ actionId: 'ofox_stop', value: jobId, user: 'UALICE', channel: 'C1', messageTs: message.ts, threadTs: ts });
    const result = await finished(jobId);
    expect(result.outcome).toBe('stopped');
    const final = slack.message('C1', message.ts)!;
    expect(final.streaming_state).toBe('completed');
    expect(visibleText(final)).toContain('stopped');
    expect(buttonsOf(final)).toEqual([]);
  });

  it('an assistant thread shows a status, then the answer', async () => {
    await start();
    pipeline.fakeOfox.enqueue(reply('Here is your plan.', { tokensPerSecond: 20 }));
    const started = await sender.assistantThreadStarted({ channel: 'D1', user: 'UALICE' });
    await eventually(() => slack.workspace.suggestedPrompts.get(`D1:${started.threadTs}`));
    const sent = await sender.message({ channel: 'D1', user: 'UALICE', text: 'plan my week', thread_ts: started.threadTs });
    await finished(jobIdFor('slack', sent.eventId!));
    const statusAt = slack.calls.findIndex((call) => call.method === 'assistant.threads.setStatus');
    const answerAt = slack.calls.findIndex((call) => call.method === 'chat.startStream' || call.method === 'chat.postMessage');
    expect(statusAt).toBeGreaterThanOrEqual(0);
    expect(statusAt).toBeLessThan(answerAt);
    const answers = answerMessages(started.threadTs, 'D1').filter((message) => message.ts !== started.threadTs);
    expect(answers.map(visibleText)).toEqual(['Here is your plan.']);
  });

  it('tool calls show as task updates in the stream', async () => {
    await start();
    pipeline.fakeOfox.enqueue([toolCall('calculator', { expression: '6*7' }), finish('tool-calls')], reply('It is 42, indeed.', { tokensPerSecond: 10 }));
    const { ts, jobId } = await mention('6*7?');
    expect((await finished(jobId)).outcome).toBe('complete');
    const [message] = answerMessages(ts);
    expect([...message!.tasks.values()]).toEqual([expect.objectContaining({ title: 'calculator', status: 'complete' })]);
    expect(visibleText(message!)).toBe('It is 42, indeed.');
  });

  it('an approval clicked by someone else is refused; the asker’s click runs the tool', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofox-slack-'));
    const file = join(dir, 'ofox-bot.config.yaml');
    writeFileSync(file, 'tools:\n  calculator:\n    requiresApproval: true\n');
    await start({ OFOX_BOT_CONFIG: file });
    pipeline.fakeOfox.enqueue([toolCall('calculator', { expression: '6*7' }), finish('tool-calls')], reply('It is 42.'));
    const { ts, jobId } = await mention('what is 6*7?');
    const approval = await eventually(() => answerMessages(ts).find((message) => buttonsOf(message).includes('ofox_approve')), 10_000);
    const approvalId = String((approval.blocks!.find((block) => block.type === 'actions') as { elements: Array<{ value: string }> }).elements[0]!.value);
    await sender.blockAction({ actionId: 'ofox_approve', value: approvalId, user: 'UBOB', channel: 'C1', messageTs: approval.ts, threadTs: ts });
    const refusal = await eventually(() => slack.workspace.ephemerals.find((note) => note.user === 'UBOB'));
    expect(refusal.text).toMatch(/only the person who asked/i);
    await sender.blockAction({ actionId: 'ofox_approve', value: approvalId, user: 'UALICE', channel: 'C1', messageTs: approval.ts, threadTs: ts });
    expect((await finished(jobId)).outcome).toBe('complete');
    expect(visibleText(slack.message('C1', approval.ts)!)).toMatch(/Approved/);
    expect(answerMessages(ts).map(visibleText)).toContain('It is 42.');
  });

  it('a denial becomes the tool’s result and the model carries on', async () => {
    await startWithCalculatorApproval();
    pipeline.fakeOfox.enqueue([toolCall('calculator', { expression: '1+1' }), finish('tool-calls')], reply('Understood, no calculator.'));
    const { ts, jobId } = await mention('what is 1+1?');
    const { approval, approvalId } = await approvalPrompt(ts);
    expect(buttonsOf(approval)).toEqual(['ofox_approve', 'ofox_deny']);

    const click = await sender.blockAction({ actionId: 'ofox_deny', value: approvalId, user: 'UALICE', channel: 'C1', messageTs: approval.ts, threadTs: ts });
    expect(click.status).toBe(200);

    expect((await finished(jobId)).outcome).toBe('complete');
    const resolved = slack.message('C1', approval.ts)!;
    expect(visibleText(resolved)).toMatch(/🚫 Denied by UALICE$/);
    expect(buttonsOf(resolved)).toEqual([]);
    expect(slack.workspace.ephemerals).toEqual([]);
    expect(pipeline.fakeOfox.chatRequests()).toHaveLength(2);
    expect(pipeline.fakeOfox.chatRequests()[1]?.lastMessageIsToolResult).toBe(true);
    expect(toolResultsIn(pipeline.fakeOfox.chatRequests()[1])).toEqual(['The user denied running calculator. Do not retry it; continue without it.']);
    expect(answerMessages(ts).map(visibleText)).toContain('Understood, no calculator.');
  });

  it('an approval nobody answers times out and the model is told', async () => {
    const approvalTimeoutMs = 1_200;
    await startWithCalculatorApproval({ TOOL_APPROVAL_TIMEOUT_MS: String(approvalTimeoutMs) });
    pipeline.fakeOfox.enqueue([toolCall('calculator', { expression: '2+2' }), finish('tool-calls')], reply('Nobody approved; moving on.'));
    const { ts, jobId } = await mention('what is 2+2?');
    const { approval } = await approvalPrompt(ts);
    const promptedAt = Date.now();

    expect((await finished(jobId)).outcome).toBe('complete');
    // The wait started just before the prompt was posted, so allow a little for the post itself.
    expect(Date.now() - promptedAt).toBeGreaterThanOrEqual(approvalTimeoutMs - 500);
    const resolved = slack.message('C1', approval.ts)!;
    expect(visibleText(resolved)).toMatch(/⌛ No decision in time; not run$/);
    expect(buttonsOf(resolved)).toEqual([]);
    expect(pipeline.fakeOfox.chatRequests()).toHaveLength(2);
    expect(pipeline.fakeOfox.chatRequests()[1]?.lastMessageIsToolResult).toBe(true);
    expect(toolResultsIn(pipeline.fakeOfox.chatRequests()[1])).toEqual(['Nobody approved running calculator in time. Continue without it.']);
    expect(answerMessages(ts).map(visibleText)).toContain('Nobody approved; moving on.');
  });
});
