import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { hasBalancedFences } from '../../src/render/index.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import { finish, reply, text, toolCall, type FakeRequest } from '../fakes/ofox/index.ts';
import { MessageFlag, type FakeDiscord, type WireMessage } from '../fakes/discord/index.ts';
import type { Pipeline } from '../helpers/pipeline.ts';
import type { ChatAnswerResult } from '../../src/worker/processor.ts';
import { startDiscordStack, type DiscordStack } from './support/discord-stack.ts';

/** Discord end to end: real discord.js against the fake, real queue and worker, real OfoxAI client. */

let stack: DiscordStack;

const calculatorNeedsApproval = { tools: { calculator: { requiresApproval: true, enabledByDefault: true } } };

beforeAll(async () => {
  stack = await startDiscordStack({ toolsConfig: calculatorNeedsApproval });
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  stack.pipeline.fakeOfox.reset();
  stack.fake.clearRequests();
});

/** The bot's message that replies to `messageId` (the placeholder ingress posted). */
async function answerTo(fake: FakeDiscord, messageId: string, channelId = fake.channel.id): Promise<WireMessage> {
  return fake.waitFor(() => fake.botMessagesIn(channelId).find((message) => message.message_reference?.message_id === messageId), 'the placeholder');
}

/**
 * pipeline.waitForJob reads the job before its state, so a job finishing in between comes back
 * `completed` with a null return value; asking again reads the stored result.
 */
async function finished(pipeline: Pipeline, jobId: string, timeoutMs?: number): Promise<ChatAnswerResult> {
  const first = await pipeline.waitForJob(jobId, timeoutMs);
  return first ?? pipeline.waitForJob(jobId, timeoutMs);
}

function clean(content: string | undefined): string {
  return (content ?? '').replace(/\u200b/g, '');
}

/** The bot's message carrying Approve / Deny buttons. */
async function approvalPrompt(fake: FakeDiscord, channelId = fake.channel.id): Promise<WireMessage> {
  return fake.waitFor(
    () => fake.botMessagesIn(channelId).find((message) => fake.buttonsOf(message.id).some((id) => id.startsWith('ofox:approve:'))),
    'the approval prompt',
  );
}

/** The tool results (OpenAI wire shape) the model was sent in one request. */
function toolResultsIn(request: FakeRequest | undefined): string[] {
  const messages = (request?.messages ?? []) as Array<{ role?: string; content?: unknown }>;
  return messages.filter((message) => message.role === 'tool').map((message) => String(message.content));
}

describe('Discord end to end', () => {
  it("streams a mention's answer into one message that ends as the model's text, with no 429", async () => {
    const { fake, pipeline } = stack;
    const answer = 'Rust is a systems language.\n\n' + Array.from({ length: 40 }, (_, index) => `Point ${index}: ownership keeps memory safe.`).join('\n');
    pipeline.fakeOfox.enqueue(reply(answer, { chunkSize: 24, tokensPerSecond: 40 }));
    const question = fake.userSays({ content: 'what is Rust?', mentionBot: true });
    const placeholder = await answerTo(fake, question.id);
    const result = await finished(pipeline, jobIdFor('discord', question.id));

    expect(result.outcome).toBe('complete');
    expect(fake.message(placeholder.id)?.content).toBe(answer);
    expect(fake.botMessagesIn(fake.channel.id)).toHaveLength(1);
    expect(fake.buttonsOf(placeholder.id)).toEqual([]);
    expect(fake.editCount(placeholder.id)).toBeGreaterThan(1);
    expect(fake.rateLimitedCount).toBe(0);
    expect(fake.clientErrorCount).toBe(0);
    expect(pipeline.fakeOfox.requests.at(-1)?.lastUserText).toContain('what is Rust?');
  });

  it('streams three answers at once in one channel without a single 429', async () => {
    const { fake, pipeline } = stack;
    const answers = [0, 1, 2].map((n) => Array.from({ length: 30 }, (_, index) => `Answer ${n}, sentence ${index}.`).join(' '));
    pipeline.fakeOfox.respond((request) => {
      const n = Number(/question (\d)/.exec(request.lastUserText ?? '')?.[1] ?? 0);
      return reply(answers[n] ?? '', { chunkSize: 20, tokensPerSecond: 25 });
    });
    const questions = [0, 1, 2].map((n) => fake.userSays({ content: `question ${n}`, mentionBot: true, author: n === 1 ? fake.bob : fake.alice }));
    const results = await Promise.all(questions.map((question) => finished(pipeline, jobIdFor('discord', question.id), 30_000)));

    expect(results.map((result) => result.outcome)).toEqual(['complete', 'complete', 'complete']);
    for (const [n, question] of questions.entries()) {
      const placeholder = await answerTo(fake, question.id);
      expect(fake.message(placeholder.id)?.content).toBe(answers[n]);
    }
    expect(fake.rateLimitedCount).toBe(0);
    expect(fake.clientErrorCount).toBe(0);
  });

  it('pings no one when the model writes @everyone, on any write', async () => {
    const { fake, pipeline } = stack;
    pipeline.fakeOfox.enqueue(reply(`Attention @everyone and @here, ask <@${fake.bob.id}> or <@&${fake.adminRole.id}>.`, { chunkSize: 6, tokensPerSecond: 30 }));
    const question = fake.userSays({ content: 'announce it', mentionBot: true });
    const placeholder = await answerTo(fake, question.id);
    await finished(pipeline, jobIdFor('discord', question.id));

    expect(clean(fake.message(placeholder.id)?.content)).toBe(`Attention @everyone and @here, ask <@${fake.bob.id}> or <@&${fake.adminRole.id}>.`);
    const writes = fake.messageWrites();
    expect(writes.length).toBeGreaterThan(1);
    // The placeholder (discord.js in ingress) adds replied_user: false; the worker sends exactly { parse: [] }.
    for (const write of writes) expect(write.allowedMentions).toMatchObject({ parse: [] });
    for (const message of fake.botMessagesIn(fake.channel.id)) expect(fake.pingsOf(message.id)).toEqual({ everyone: false, users: [], roles: [] });
  });

  it('continues a conversation from a reply, with the earlier turns as context', async () => {
    const { fake, pipeline } = stack;
    pipeline.fakeOfox.enqueue(reply('The capital of France is Paris.'));
    const first = fake.userSays({ content: 'capital of France?', mentionBot: true });
    const firstAnswer = await answerTo(fake, first.id);
    await finished(pipeline, jobIdFor('discord', first.id));

    pipeline.fakeOfox.enqueue(reply('The capital of Germany is Berlin.'));
    const second = fake.userSays({ content: 'and Germany?', replyTo: firstAnswer.id });
    const secondAnswer = await answerTo(fake, second.id);
    await finished(pipeline, jobIdFor('discord', second.id));

    expect(fake.message(secondAnswer.id)?.content).toBe('The capital of Germany is Berlin.');
    const sent = JSON.stringify(pipeline.fakeOfox.requests.at(-1)?.messages);
    expect(sent).toContain('capital of France?');
    expect(sent).toContain('The capital of France is Paris.');
    expect(sent).toContain('and Germany?');
    expect(sent).not.toContain('Thinking');
  });

  it('defers a slash command, then edits the deferred reply into the answer', async () => {
    const { fake, pipeline } = stack;
    pipeline.fakeOfox.enqueue(reply('CRDTs merge without coordination.', { chunkSize: 5, tokensPerSecond: 30 }));
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'explain CRDTs' } });
    await finished(pipeline, jobIdFor('discord', interaction.id));

    const recorded = fake.interaction(interaction.id);
    expect(recorded?.callbackType).toBe(5);
    expect(recorded?.acknowledgedAfterMs).toBeLessThan(3000);
    expect(fake.message(recorded?.responseMessageId ?? '')?.content).toBe('CRDTs merge without coordination.');
    expect(fake.buttonsOf(recorded?.responseMessageId ?? '')).toEqual([]);
    // Every edit went through the interaction's webhook to the deferred reply, the last one with the whole answer.
    const webhookEdits = fake.requestsTo('PATCH', /^\/webhooks\//);
    expect(new Set(webhookEdits.map((request) => request.path.replace(/^\/webhooks\/\d+\/[^/]+/, '')))).toEqual(new Set(['/messages/%40original']));
    expect((webhookEdits.at(-1)?.body as { content?: string }).content).toBe('CRDTs merge without coordination.');
    expect(webhookEdits.every((request) => JSON.stringify(request.allowedMentions) === '{"parse":[]}')).toBe(true);
    expect(pipeline.fakeOfox.requests.at(-1)?.lastUserText).toContain('explain CRDTs');
  });

  it('carries a slash-command answer on in its own message when its interaction token expires mid-stream', async () => {
    const { fake, pipeline } = stack;
    const long = Array.from({ length: 120 }, (_, index) => `token${index}`).join(' ');
    pipeline.fakeOfox.enqueue(reply(long, { chunkSize: 12, tokensPerSecond: 40 }));
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'long one' } });
    await fake.waitFor(() => fake.interaction(interaction.id)?.responseMessageId, 'the deferred reply');
    const original = fake.interaction(interaction.id)?.responseMessageId ?? '';
    await fake.waitFor(() => fake.message(original)?.content.startsWith('token0'), 'the first text');
    fake.expireInteractionToken(interaction.id);
    const result = await finished(pipeline, jobIdFor('discord', interaction.id));

    expect(result.outcome).toBe('complete');
    // One message, the deferred reply, edited through the channel once the token was gone: it ends
    // complete, without a Stop button, and nothing repeats it below.
    expect(fake.message(original)?.content).toBe(long);
    expect(fake.buttonsOf(original)).toEqual([]);
    expect(fake.botMessagesIn(fake.channel.id).filter((message) => BigInt(message.id) > BigInt(original))).toEqual([]);
    // Once the token was gone, the edits went through the channel route, the last one with the whole answer.
    const channelEdits = fake.requestsTo('PATCH', new RegExp(`^/channels/${fake.channel.id}/messages/${original}$`));
    expect((channelEdits.at(-1)?.body as { content?: string }).content).toBe(long);
    expect(channelEdits.every((request) => request.status === 200)).toBe(true);
  });

  it('stops an answer when the asker presses Stop', async () => {
    const { fake, pipeline } = stack;
    const long = Array.from({ length: 400 }, (_, index) => `word${index}`).join(' ');
    pipeline.fakeOfox.enqueue(reply(long, { chunkSize: 10, tokensPerSecond: 10 }));
    const question = fake.userSays({ content: 'ramble on', mentionBot: true });
    const placeholder = await answerTo(fake, question.id);
    await fake.waitFor(() => fake.message(placeholder.id)?.content.startsWith('word0'), 'the first text');
    const jobId = jobIdFor('discord', question.id);
    const click = fake.clickButton({ messageId: placeholder.id, customId: `ofox:stop:${jobId}` });
    const result = await finished(pipeline, jobId);

    expect(fake.interaction(click.id)?.callbackType).toBe(6);
    expect(result.outcome).toBe('stopped');
    expect(fake.message(placeholder.id)?.content).toMatch(/⏹ stopped_?$/);
    expect(fake.buttonsOf(placeholder.id)).toEqual([]);
    expect(fake.message(placeholder.id)?.content.length).toBeLessThan(long.length);
  });

  it("ignores another bot's mention", async () => {
    const { fake, pipeline } = stack;
    fake.botSays({ content: 'hello bot', mentionBot: true });
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(pipeline.fakeOfox.requests).toHaveLength(0);
    expect(fake.messageWrites()).toHaveLength(0);
  });

  it('answers a direct message', async () => {
    const { fake, pipeline } = stack;
    pipeline.fakeOfox.enqueue(reply('Happy to help in private.'));
    const message = fake.dm({ content: 'can we talk here?', author: fake.bob });
    const placeholder = await answerTo(fake, message.id, message.channel_id);
    await finished(pipeline, jobIdFor('discord', message.id));
    expect(fake.message(placeholder.id)?.content).toBe('Happy to help in private.');
  });

  it("refuses an approval click by someone else, then runs the tool when the asker approves", async () => {
    const { fake, pipeline } = stack;
    pipeline.fakeOfox.enqueue([toolCall('calculator', { expression: '6*7' }), finish('tool-calls')], [text('It is 42.'), finish('stop')]);
    const question = fake.userSays({ content: 'what is 6*7? use the calculator', mentionBot: true });
    const placeholder = await answerTo(fake, question.id);
    const approval = await fake.waitFor(
      () => fake.botMessagesIn(fake.channel.id).find((message) => fake.buttonsOf(message.id).some((id) => id.startsWith('ofox:approve:'))),
      'the approval prompt',
    );
    const approveId = fake.buttonsOf(approval.id).find((id) => id.startsWith('ofox:approve:')) ?? '';

    const stranger = fake.clickButton({ messageId: approval.id, customId: approveId, user: fake.bob });
    await fake.waitFor(() => fake.interaction(stranger.id)?.responseMessageId, 'the refusal');
    const refusal = fake.message(fake.interaction(stranger.id)?.responseMessageId ?? '');
    expect(refusal?.content).toMatch(/only the person who asked/i);
    expect((refusal?.flags ?? 0) & MessageFlag.Ephemeral).toBe(MessageFlag.Ephemeral);
    expect(fake.buttonsOf(approval.id)).toHaveLength(2);

    fake.clickButton({ messageId: approval.id, customId: approveId });
    const result = await finished(pipeline, jobIdFor('discord', question.id));
    expect(result.outcome).toBe('complete');
    expect(fake.message(placeholder.id)?.content).toContain('It is 42.');
    expect(fake.message(approval.id)?.content).toMatch(/Approved by/);
    expect(fake.buttonsOf(approval.id)).toEqual([]);
    expect(JSON.stringify(pipeline.fakeOfox.requests.at(-1)?.messages)).toContain('6*7 = 42');
  });

  it("turns the asker's Deny into the tool's result, and the model carries on without it", async () => {
    const { fake, pipeline } = stack;
    pipeline.fakeOfox.enqueue([toolCall('calculator', { expression: '1+1' }), finish('tool-calls')], [text('Understood, no calculator.'), finish('stop')]);
    // A channel of its own: earlier tests spend the default channel's message budget, and an approval
    // prompt that gets a 429 is not retried (the tool is refused instead), so it would never appear.
    const channel = fake.addTextChannel('deny-here');
    const question = fake.userSays({ content: 'what is 1+1? use the calculator', mentionBot: true, channelId: channel.id });
    const placeholder = await answerTo(fake, question.id, channel.id);
    const approval = await approvalPrompt(fake, channel.id);
    const denyId = fake.buttonsOf(approval.id).find((id) => id.startsWith('ofox:deny:')) ?? '';
    expect(denyId).not.toBe('');

    const click = fake.clickButton({ messageId: approval.id, customId: denyId });
    const result = await finished(pipeline, jobIdFor('discord', question.id));

    expect(result.outcome).toBe('complete');
    expect(fake.interaction(click.id)?.callbackType).toBe(6);
    expect(fake.message(approval.id)?.content).toContain(`❌ Denied by <@${fake.alice.id}>.`);
    expect(fake.buttonsOf(approval.id)).toEqual([]);
    expect(fake.pingsOf(approval.id)).toEqual({ everyone: false, users: [], roles: [] });
    expect(pipeline.fakeOfox.requests).toHaveLength(2);
    expect(pipeline.fakeOfox.requests[1]?.lastMessageIsToolResult).toBe(true);
    expect(toolResultsIn(pipeline.fakeOfox.requests[1])).toEqual(['The user denied running calculator. Do not retry it; continue without it.']);
    expect(fake.message(placeholder.id)?.content).toMatch(/^Understood, no calculator\.\n/);
    // The tool line gives people a short reason, not the instruction meant for the model.
    expect(fake.message(placeholder.id)?.content).toMatch(/calculator.*not approved/);
    expect(fake.message(placeholder.id)?.content).not.toContain('Do not retry');
  });
});

describe('Discord end to end with a short approval timeout', () => {
  const APPROVAL_TIMEOUT_MS = 1_200;
  let impatient: DiscordStack;

  beforeAll(async () => {
    impatient = await startDiscordStack({ toolsConfig: calculatorNeedsApproval, env: { TOOL_APPROVAL_TIMEOUT_MS: String(APPROVAL_TIMEOUT_MS) } });
  });

  afterAll(async () => {
    await impatient?.stop();
  });

  it('times out an approval nobody answers, tells the model, and finishes the answer', async () => {
    const { fake, pipeline } = impatient;
    pipeline.fakeOfox.enqueue([toolCall('calculator', { expression: '2+2' }), finish('tool-calls')], [text('Nobody approved; moving on.'), finish('stop')]);
    const question = fake.userSays({ content: 'what is 2+2? use the calculator', mentionBot: true });
    const placeholder = await answerTo(fake, question.id);
    const approval = await approvalPrompt(fake);
    const promptedAt = Date.now();
    expect(fake.buttonsOf(approval.id)).toHaveLength(2);

    const result = await finished(pipeline, jobIdFor('discord', question.id));

    expect(result.outcome).toBe('complete');
    // The wait started just before the prompt was posted, so allow a little for the post itself.
    expect(Date.now() - promptedAt).toBeGreaterThanOrEqual(APPROVAL_TIMEOUT_MS - 500);
    expect(fake.message(approval.id)?.content).toContain('⌛ No decision in time; the tool was not run.');
    expect(fake.buttonsOf(approval.id)).toEqual([]);
    expect(pipeline.fakeOfox.requests).toHaveLength(2);
    expect(pipeline.fakeOfox.requests[1]?.lastMessageIsToolResult).toBe(true);
    expect(toolResultsIn(pipeline.fakeOfox.requests[1])).toEqual(['Nobody approved running calculator in time. Continue without it.']);
    expect(fake.message(placeholder.id)?.content).toMatch(/^Nobody approved; moving on\.\n/);
    expect(fake.message(placeholder.id)?.content).toMatch(/calculator.*no approval in time/);
  });
});

describe('Discord end to end at a quicker pace', () => {
  let quick: DiscordStack;

  beforeAll(async () => {
    // Discord's real pace makes a 20-message answer take 20 s; the budget here is 20 writes a second.
    quick = await startDiscordStack({
      fake: { rateLimits: { messageCreate: { limit: 20, windowMs: 1000 }, messageEdit: { limit: 20, windowMs: 1000 } } },
      limits: { minEditIntervalMs: 150, channelEditsPerWindow: 20, channelWindowMs: 1000 },
    });
  });

  afterAll(async () => {
    await quick?.stop();
  });

  it('splits a 6,000-word answer into messages under 2,000 characters, fences closed and reopened', async () => {
    const { fake, pipeline } = quick;
    const prose = (from: number, count: number) => Array.from({ length: count }, (_, index) => `word${from + index}`).join(' ');
    const code = '```ts\n' + Array.from({ length: 200 }, (_, index) => `const line${index} = ${index};`).join('\n') + '\n```';
    const answer = `${prose(0, 2800)}\n\n${code}\n\n${prose(2800, 2800)}`;
    pipeline.fakeOfox.enqueue(reply(answer, { chunkSize: 2000, tokensPerSecond: 20 }));
    const question = fake.userSays({ content: 'write an essay', mentionBot: true });
    const result = await finished(pipeline, jobIdFor('discord', question.id), 40_000);

    expect(result.outcome).toBe('complete');
    const parts = fake.botMessagesIn(fake.channel.id).map((message) => message.content);
    expect(parts.length).toBeGreaterThanOrEqual(20);
    for (const part of parts) {
      expect(part.length).toBeLessThanOrEqual(2000);
      expect(hasBalancedFences(part)).toBe(true);
    }
    const words = parts.join(' ').match(/word\d+/g) ?? [];
    expect(new Set(words).size).toBe(5600);
    const lines = parts.join('\n').match(/const line\d+ = \d+;/g) ?? [];
    expect(new Set(lines).size).toBe(200);
    expect(fake.clientErrorCount).toBe(0);
  });

  it('loses no text in a 429 storm', async () => {
    const { fake, pipeline } = quick;
    const answer = Array.from({ length: 80 }, (_, index) => `Line ${index} of the answer.`).join('\n');
    pipeline.fakeOfox.enqueue(reply(answer, { chunkSize: 30, tokensPerSecond: 30 }));
    const question = fake.userSays({ content: 'list things', mentionBot: true });
    const placeholder = await answerTo(fake, question.id);
    await fake.waitFor(() => fake.editCount(placeholder.id) > 0, 'the first edit');
    fake.rateLimitNext(4, 250);
    const result = await finished(pipeline, jobIdFor('discord', question.id), 40_000);

    expect(result.outcome).toBe('complete');
    expect(fake.rateLimitedCount).toBeGreaterThanOrEqual(4);
    expect(fake.message(placeholder.id)?.content).toBe(answer);
  });
});

describe('Discord end to end with a thread per conversation', () => {
  let threaded: DiscordStack;

  beforeAll(async () => {
    threaded = await startDiscordStack({ env: { DISCORD_THREAD_PER_CONVERSATION: 'true' } });
  });

  afterAll(async () => {
    await threaded?.stop();
  });

  it('answers in a new thread and keeps the conversation there without mentions', async () => {
    const { fake, pipeline } = threaded;
    pipeline.fakeOfox.enqueue(reply('Day 1: temples.'));
    const question = fake.userSays({ content: 'plan Kyoto', mentionBot: true });
    await finished(pipeline, jobIdFor('discord', question.id));
    const thread = fake.message(question.id)?.thread;
    expect(thread).toBeDefined();
    expect(fake.contentsIn(thread?.id ?? '')).toEqual(['Day 1: temples.']);

    pipeline.fakeOfox.enqueue(reply('Day 2: Nishiki market.'));
    const followUp = fake.userSays({ content: 'and day 2?', channelId: thread?.id ?? '' });
    await finished(pipeline, jobIdFor('discord', followUp.id));
    expect(fake.contentsIn(thread?.id ?? '')).toEqual(['Day 1: temples.', 'and day 2?', 'Day 2: Nishiki market.']);
    const sent = JSON.stringify(pipeline.fakeOfox.requests.at(-1)?.messages);
    expect(sent).toContain('plan Kyoto');
    expect(sent).toContain('Day 1: temples.');
    expect(sent).toContain('and day 2?');
  });
});
