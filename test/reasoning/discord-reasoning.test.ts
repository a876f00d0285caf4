import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import type { ReasoningMode } from '../../src/settings/index.ts';
import { DEFAULT_FAKE_MODELS, finish, reasoning, text, toolCall, wait, type Step } from '../fakes/ofox/index.ts';
import type { WireMessage } from '../fakes/discord/index.ts';
import { startDiscordStack, type DiscordStack } from '../discord/support/discord-stack.ts';

/**
 * Reasoning on Discord end to end: real discord.js against the fake Discord, the real queue and
 * worker, the real OfoxAI client against the fake gateway, for each of the channel's modes.
 */

const REASONER = 'openai/o-reasoner';
const THINKER = 'anthropic/claude-thinker';
const THINKING = 'The user asks for six times seven.\nMultiplying: <@123> @everyone 6 × 7.\nSo the answer is 42.';
const ANSWER = 'Six times seven is **42**.';

let stack: DiscordStack;

beforeAll(async () => {
  stack = await startDiscordStack();
  stack.pipeline.fakeOfox.setModels([
    ...DEFAULT_FAKE_MODELS,
    { id: REASONER, context_length: 200_000, supported_parameters: ['tools', 'reasoning', 'include_reasoning'] },
    { id: THINKER, context_length: 200_000, capabilities: ['tools', 'thinking'] },
  ]);
});

afterAll(async () => {
  await stack?.stop();
});

beforeEach(() => {
  stack.pipeline.fakeOfox.reset();
  stack.fake.clearRequests();
});

/** Reasoning, a pause long enough for the renderer to show it, then the answer. */
function thinkingThenAnswer(): Step[] {
  return [reasoning(THINKING, { chunkSize: 12 }), wait(2_500), text(ANSWER), finish('stop')];
}

async function ask(model: string, mode: ReasoningMode, prompt: string): Promise<{ answer: WireMessage; contents: string[] }> {
  const { fake, pipeline } = stack;
  await pipeline.core.settings.update({ platform: 'discord', workspaceId: fake.guild.id, channelId: fake.channel.id }, 'channel', { model, reasoning: mode });
  const question = fake.userSays({ content: prompt, mentionBot: true });
  const answer = await fake.waitFor(() => fake.botMessagesIn(fake.channel.id).find((message) => message.message_reference?.message_id === question.id), 'the placeholder');
  const result = (await pipeline.waitForJob(jobIdFor('discord', question.id), 20_000)) ?? (await pipeline.waitForJob(jobIdFor('discord', question.id), 20_000));
  expect(result.outcome).toBe('complete');
  const contents = fake
    .messageWrites()
    .filter((request) => request.path.endsWith(`/messages/${answer.id}`))
    .map((request) => String((request.body as { content?: unknown }).content ?? ''));
  return { answer, contents };
}

/** The subtext lines the answer's writes showed, in order, without repeats. */
function subtexts(contents: readonly string[]): string[] {
  const lines = contents.flatMap((content) => content.split('\n').filter((line) => line.startsWith('-# ')));
  return lines.filter((line, index) => lines[index - 1] !== line).map((line) => line.replace(/\u200b/g, ''));
}

function uploads(): Array<{ content: unknown; files: Array<{ filename: string; body: Buffer }> }> {
  return stack.fake
    .requestsTo('POST', /^\/channels\/\d+\/messages$/)
    .map((request) => request.body as { content?: unknown; uploaded_files?: Array<{ filename: string; body: Buffer }> })
    .filter((body) => (body.uploaded_files?.length ?? 0) > 0)
    .map((body) => ({ content: body.content, files: body.uploaded_files ?? [] }));
}

describe('reasoning on Discord', () => {
  it('off: the request asks for no reasoning, nothing of it shows, and the answer is the text alone', async () => {
    stack.pipeline.fakeOfox.enqueue(thinkingThenAnswer());
    const { answer, contents } = await ask(REASONER, 'off', 'six times seven? (off)');
    expect(stack.pipeline.fakeOfox.chatRequests()[0]?.body).not.toHaveProperty('reasoning');
    expect(subtexts(contents)).toEqual([]);
    expect(stack.fake.message(answer.id)?.content).toBe(ANSWER);
    expect(uploads()).toEqual([]);
  });

  it('status: "thinking…" as subtext while the model reasons, gone when the answer starts; no content of it', async () => {
    stack.pipeline.fakeOfox.enqueue(thinkingThenAnswer());
    const { answer, contents } = await ask(REASONER, 'status', 'six times seven? (status)');
    expect(stack.pipeline.fakeOfox.chatRequests()[0]?.body).toMatchObject({ reasoning: { effort: 'medium' } });
    expect(subtexts(contents)).toEqual(['-# 💭 thinking…']);
    expect(contents[0]).toBe('…\n-# 💭 thinking…');
    expect(contents.join('\n')).not.toContain('Multiplying');
    expect(stack.fake.message(answer.id)?.content).toBe(ANSWER);
    expect(stack.fake.rateLimitedCount).toBe(0);
  });

  it('summary: the latest line of the reasoning as subtext, mentions inert, removed when the answer starts', async () => {
    stack.pipeline.fakeOfox.enqueue(thinkingThenAnswer());
    const { answer, contents } = await ask(REASONER, 'summary', 'six times seven? (summary)');
    const shown = subtexts(contents);
    expect(shown.at(-1)).toBe('-# 💭 So the answer is 42.');
    // Every line shown is one of the reasoning's lines as it grew; none pings.
    for (const line of shown) expect(['-# 💭 The user asks for six times seven.', '-# 💭 Multiplying: <@123> @everyone 6 × 7.', '-# 💭 So the answer is 42.']).toContain(line);
    for (const content of contents.filter((entry) => entry.includes('<'))) expect(content).toContain('<\u200b@123>');
    const edits = stack.fake.messageWrites().filter((request) => request.path.endsWith(`/messages/${answer.id}`));
    expect(edits.map((request) => request.allowedMentions)).toEqual(edits.map(() => ({ parse: [] })));
    expect(stack.fake.message(answer.id)?.content).toBe(ANSWER);
    expect(uploads()).toEqual([]);
  });

  it('full: the status while it reasons, then the whole reasoning once as reasoning.txt after the answer', async () => {
    stack.pipeline.fakeOfox.enqueue(thinkingThenAnswer());
    const { answer, contents } = await ask(REASONER, 'full', 'six times seven? (full)');
    expect(subtexts(contents)).toEqual(['-# 💭 thinking…']);
    expect(stack.fake.message(answer.id)?.content).toBe(ANSWER);
    const sent = uploads();
    expect(sent.map((upload) => ({ content: upload.content, names: upload.files.map((file) => file.filename) }))).toEqual([{ content: '📄 Reasoning', names: ['reasoning.txt'] }]);
    expect(sent[0]?.files[0]?.body.toString('utf8')).toBe(`${THINKING}\n`);
  });

  it('full on a model the list does not mark as reasoning: the request is unchanged and no file follows', async () => {
    stack.pipeline.fakeOfox.enqueue(thinkingThenAnswer());
    const { answer, contents } = await ask('openai/gpt-4o', 'full', 'six times seven? (unsupported)');
    expect(stack.pipeline.fakeOfox.chatRequests()[0]?.body).not.toHaveProperty('reasoning');
    expect(subtexts(contents)).toEqual([]);
    expect(stack.fake.message(answer.id)?.content).toBe(ANSWER);
    expect(uploads()).toEqual([]);
  });

  it('Anthropic: asks for thinking within max_tokens and sends the signed thinking back with the tool round', async () => {
    stack.pipeline.fakeOfox.enqueue(
      [reasoning('I should compute this with the calculator.'), toolCall('calculator', { expression: '6*7' }), finish('tool-calls')],
      [reasoning('The tool says 42.'), wait(2_500), text(ANSWER), finish('stop')],
    );
    const { answer, contents } = await ask(THINKER, 'summary', 'six times seven? (anthropic)');
    const [first, second] = stack.pipeline.fakeOfox.chatRequests();
    expect(first?.body).toMatchObject({ max_tokens: 4096, thinking: { type: 'enabled', budget_tokens: 2048 } });
    const assistant = (second?.body as { messages: Array<{ role: string; content: Array<Record<string, unknown>> }> }).messages.find((message) => message.role === 'assistant');
    expect(assistant?.content[0]).toEqual({ type: 'thinking', thinking: 'I should compute this with the calculator.', signature: 'ZmFrZS1zaWduYXR1cmU=' });
    expect(assistant?.content[1]).toMatchObject({ type: 'tool_use', name: 'calculator', input: { expression: '6*7' } });
    // Whether a line lands before the text depends on the channel's write budget (earlier tests used it); whatever shows is reasoning, never the answer.
    for (const line of subtexts(contents)) expect(['-# 💭 I should compute this with the calculator.', '-# 💭 The tool says 42.']).toContain(line);
    expect(stack.fake.message(answer.id)?.content).toMatch(/^Six times seven is \*\*42\*\*\.\n\n✅ \*\*calculator\*\* `{"expression":"6\*7"}` — done in [\d.]+ m?s$/);
  });
});
