import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Redis } from 'ioredis';
import { parseModelList, supportsReasoning } from '../../src/llm/list-models.ts';
import { buildAnthropicRequest, thinkingBudget } from '../../src/llm/protocols/anthropic-request.ts';
import { buildOpenAiRequest } from '../../src/llm/protocols/openai-request.ts';
import { AnthropicStreamDecoder } from '../../src/llm/protocols/anthropic-stream-decoder.ts';
import { ReasoningModels } from '../../src/llm/reasoning-models.ts';
import type { ChatRequest, LlmEvent } from '../../src/llm/types.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { layoutAnswer } from '../../src/render/answer-layout.ts';
import { reasoningStatusLine, reasoningSummaryLine } from '../../src/render/status-text.ts';
import { validateReasoningMode } from '../../src/settings/index.ts';
import { ReasoningDisplay } from '../../src/worker/reasoning-display.ts';
import { deliverReasoningFile, RedisReasoningFileLedger } from '../../src/worker/reasoning-file.ts';
import type { ChatJob } from '../../src/queue/chat-job.ts';
import { toDiscordSubtext } from '../../adapters/discord/formatting.ts';
import { reasoningBlocks, reasoningTaskChunks } from '../../adapters/slack/reasoning.ts';
import { ManualClock } from '../render/helpers/manual-clock.ts';

const defaults = { apiKey: 'k', openaiBaseUrl: 'http://x/v1', anthropicBaseUrl: 'http://x/anthropic', fallbackModels: undefined, maxOutputTokens: undefined };
const ask: ChatRequest = { model: 'm/x', messages: [{ role: 'user', content: 'hi' }], temperature: 0.3 };

describe('the model list’s reasoning flag', () => {
  it('is read from supported_parameters, capabilities, features and top-level flags, and nowhere else', () => {
    const list = JSON.stringify({
      data: [
        { id: 'a/params', supported_parameters: ['tools', 'include_reasoning'] },
        { id: 'a/effort', supported_parameters: ['reasoning_effort'] },
        { id: 'b/capabilities', capabilities: ['vision', 'Thinking'] },
        { id: 'c/features-map', features: { reasoning: true, tools: true } },
        { id: 'c/features-off', features: { reasoning: false } },
        { id: 'd/flag', supports_reasoning: true },
        { id: 'e/plain', supported_parameters: ['tools', 'temperature'] },
        { id: 'e/none' },
      ],
    });
    expect(parseModelList(list, 200, []).map((model) => [model.id, model.reasoning === true])).toEqual([
      ['a/params', true],
      ['a/effort', true],
      ['b/capabilities', true],
      ['c/features-map', true],
      ['c/features-off', false],
      ['d/flag', true],
      ['e/plain', false],
      ['e/none', false],
    ]);
    expect(supportsReasoning({ capabilities: 'reasoning' })).toBe(false);
  });

  it('is cached, and a list that cannot be read means no reasoning', async () => {
    let calls = 0;
    let now = 0;
    const models = new ReasoningModels({
      listModels: async () => {
        calls += 1;
        if (calls === 2) throw new Error('gateway down');
        return [{ id: 'a/thinks', reasoning: true }, { id: 'a/plain' }];
      },
      now: () => now,
      refreshMs: 1_000,
    });
    expect([await models.supports('a/thinks'), await models.supports('a/plain'), calls]).toEqual([true, false, 1]);
    now = 1_000;
    expect([await models.supports('a/thinks'), calls]).toEqual([true, 2]);
    const cold = new ReasoningModels({ listModels: () => Promise.reject(new Error('down')) });
    expect(await cold.supports('a/thinks')).toBe(false);
  });
});

describe('the reasoning request', () => {
  it('OpenAI: `reasoning: { effort: "medium" }` only when asked; otherwise the body is unchanged', () => {
    const plain = JSON.parse(buildOpenAiRequest(ask, defaults).body) as Record<string, unknown>;
    const reasoning = JSON.parse(buildOpenAiRequest({ ...ask, reasoning: true }, defaults).body) as Record<string, unknown>;
    expect(plain).not.toHaveProperty('reasoning');
    expect(reasoning).toEqual({ ...plain, reasoning: { effort: 'medium' } });
  });

  it('Anthropic: thinking within max_tokens, no temperature beside it, and none when the cap leaves no room', () => {
    expect([thinkingBudget(4096), thinkingBudget(3000), thinkingBudget(2048), thinkingBudget(2047), thinkingBudget(1024)]).toEqual([2048, 1500, 1024, undefined, undefined]);
    const plain = JSON.parse(buildAnthropicRequest(ask, defaults).body) as Record<string, unknown>;
    const thinking = JSON.parse(buildAnthropicRequest({ ...ask, reasoning: true }, defaults).body) as Record<string, unknown>;
    expect(plain).toMatchObject({ max_tokens: 4096, temperature: 0.3 });
    expect(plain).not.toHaveProperty('thinking');
    const { temperature: _dropped, ...rest } = plain;
    expect(thinking).toEqual({ ...rest, thinking: { type: 'enabled', budget_tokens: 2048 } });
    const small = JSON.parse(buildAnthropicRequest({ ...ask, reasoning: true, maxOutputTokens: 1500 }, defaults).body) as Record<string, unknown>;
    expect(small).toMatchObject({ max_tokens: 1500, temperature: 0.3 });
    expect(small).not.toHaveProperty('thinking');
  });

  it('Anthropic: a tool round replays its signed thinking first, only while thinking is on', () => {
    const messages: ChatRequest['messages'] = [
      { role: 'user', content: 'six times seven?' },
      {
        role: 'assistant',
        content: '',
        toolCalls: [{ id: 'toolu_1', name: 'calculator', input: { expression: '6*7' } }],
        reasoning: [
          { type: 'thinking', thinking: 'Use the calculator.', signature: 'c2ln' },
          { type: 'redacted', data: 'ZW5j' },
        ],
      },
      { role: 'tool', toolCallId: 'toolu_1', toolName: 'calculator', content: '42' },
    ];
    const on = JSON.parse(buildAnthropicRequest({ model: 'anthropic/x', messages, reasoning: true }, defaults).body) as { messages: Array<{ content: unknown[] }> };
    expect(on.messages[1]?.content).toEqual([
      { type: 'thinking', thinking: 'Use the calculator.', signature: 'c2ln' },
      { type: 'redacted_thinking', data: 'ZW5j' },
      { type: 'tool_use', id: 'toolu_1', name: 'calculator', input: { expression: '6*7' } },
    ]);
    const off = JSON.parse(buildAnthropicRequest({ model: 'anthropic/x', messages }, defaults).body) as { messages: Array<{ content: unknown[] }> };
    expect(off.messages[1]?.content).toEqual([{ type: 'tool_use', id: 'toolu_1', name: 'calculator', input: { expression: '6*7' } }]);
  });

  it('Anthropic: the decoder hands over each signed thinking block whole, and drops unsigned ones', () => {
    const decoder = new AnthropicStreamDecoder();
    const out: LlmEvent[] = [];
    const send = (type: string, data: Record<string, unknown>) => decoder.message({ event: type, data: JSON.stringify({ type, ...data }) } as never, out);
    send('content_block_start', { index: 0, content_block: { type: 'thinking', thinking: '' } });
    send('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'Think ' } });
    send('content_block_delta', { index: 0, delta: { type: 'thinking_delta', thinking: 'hard.' } });
    send('content_block_delta', { index: 0, delta: { type: 'signature_delta', signature: 'c2ln' } });
    send('content_block_stop', { index: 0 });
    send('content_block_start', { index: 1, content_block: { type: 'redacted_thinking', data: 'ZW5j' } });
    send('content_block_stop', { index: 1 });
    send('content_block_start', { index: 2, content_block: { type: 'thinking', thinking: 'unsigned' } });
    send('content_block_stop', { index: 2 });
    expect(out).toEqual([
      { type: 'reasoning', delta: 'Think ' },
      { type: 'reasoning', delta: 'hard.' },
      { type: 'reasoning-block', block: { type: 'thinking', thinking: 'Think hard.', signature: 'c2ln' } },
      { type: 'reasoning-block', block: { type: 'redacted', data: 'ZW5j' } },
      { type: 'reasoning', delta: 'unsigned' },
    ]);
  });
});

describe('the reasoning line', () => {
  it('status counts whole seconds; summary is the last non-empty line, on one line, without markdown', () => {
    expect([reasoningStatusLine(0), reasoningStatusLine(999), reasoningStatusLine(12_400)]).toEqual(['💭 thinking…', '💭 thinking…', '💭 thinking… 12 s']);
    expect(reasoningSummaryLine('First.\nThe **second** `line`\n\n  ')).toBe('💭 The second line');
    expect(reasoningSummaryLine('  \n')).toBe('');
    expect(reasoningSummaryLine('x'.repeat(400))).toBe(`💭 ${'x'.repeat(146)}…`);
  });

  it('rides on the last message as `options.reasoning` while streaming, never in the text, and not once final', () => {
    const streaming = layoutAnswer({ pieces: ['a'.repeat(10), 'tail text'], tail: '', controls: { kind: 'none' }, final: false, nativeTools: undefined, existingMessages: 0, reasoning: '💭 thinking…' });
    expect(streaming.map((message) => [message.text, message.options.reasoning])).toEqual([
      ['a'.repeat(10), undefined],
      ['tail text', '💭 thinking…'],
    ]);
    const final = layoutAnswer({ pieces: ['done'], tail: '', controls: { kind: 'none' }, final: true, nativeTools: undefined, existingMessages: 0, reasoning: '💭 thinking…' });
    expect(final[0]?.options.reasoning).toBeUndefined();
  });

  it('is Discord subtext and a Slack context block or task card with every mention broken', () => {
    expect(toDiscordSubtext('💭 ask <@123> and <#456> @here')).toBe('-# 💭 ask <\u200b@123> and <\u200b#456> @\u200bhere');
    expect(reasoningBlocks('💭 ask <@U1> & @channel')).toEqual([
      { type: 'context', block_id: 'ofox_reasoning', elements: [{ type: 'mrkdwn', text: '💭 ask &lt;\u2060@U1&gt; &amp; @\u2060channel', verbatim: true }] },
    ]);
    const seen: Record<string, string> = {};
    expect(reasoningTaskChunks('💭 one', seen)).toEqual([{ type: 'task_update', id: 'ofox_reasoning', title: '💭 one', status: 'in_progress' }]);
    expect(reasoningTaskChunks('💭 one', seen)).toEqual([]);
    expect(reasoningTaskChunks(undefined, seen)).toEqual([{ type: 'task_update', id: 'ofox_reasoning', title: 'Reasoning', status: 'complete' }]);
    expect(reasoningTaskChunks(undefined, seen)).toEqual([]);
  });
});

describe('ReasoningDisplay', () => {
  it('status: refreshes the elapsed time every tick, not every token, and clears when the answer starts', async () => {
    const clock = new ManualClock();
    const lines: Array<string | undefined> = [];
    const display = new ReasoningDisplay({ mode: 'status', sink: { setReasoning: (line) => lines.push(line) }, clock, tickMs: 5_000 });
    display.delta('a');
    display.delta('b');
    await clock.advance(12_000);
    display.delta('c');
    display.answering();
    await clock.advance(10_000);
    expect(lines).toEqual(['💭 thinking…', '💭 thinking… 5 s', '💭 thinking… 10 s', undefined]);
    expect(display.transcript()).toBe('abc');
  });

  it('summary: the latest line as it grows; a retry voids the round; rounds are headed in the transcript', () => {
    const lines: Array<string | undefined> = [];
    const display = new ReasoningDisplay({ mode: 'summary', sink: { setReasoning: (line) => lines.push(line) }, clock: new ManualClock() });
    display.delta('Plan.\nCall');
    display.delta(' the tool.');
    display.retried();
    display.delta('Plan again.');
    display.answering();
    display.nextRound();
    display.delta('Now answer.');
    display.close();
    display.delta('ignored');
    expect(lines).toEqual(['💭 Call', '💭 Call the tool.', undefined, '💭 Plan again.', undefined, '💭 Now answer.', undefined]);
    expect(display.transcript()).toBe('## Round 1\n\nPlan again.\n\n## Round 2\n\nNow answer.');
  });

  it('off: shows and keeps nothing', () => {
    const lines: Array<string | undefined> = [];
    const display = new ReasoningDisplay({ mode: 'off', sink: { setReasoning: (line) => lines.push(line) }, clock: new ManualClock() });
    display.delta('secret thoughts');
    display.answering();
    expect([lines, display.transcript()]).toEqual([[], '']);
  });
});

describe('settings', () => {
  it('accept the four modes, in any case, and refuse anything else', () => {
    expect(['off', 'STATUS', ' summary ', 'Full'].map(validateReasoningMode)).toEqual(['off', 'status', 'summary', 'full']);
    expect(() => validateReasoningMode('verbose')).toThrow('"verbose" is not a reasoning mode; use one of off, status, summary, full.');
  });
});

describe('the reasoning file', () => {
  let redis: Redis;
  const prefix = `test-reasoning-${process.pid}`;
  beforeAll(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: false });
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
    await redis.quit();
  });

  it('is uploaded once per job, even when the job runs again', async () => {
    const uploads: string[] = [];
    const files = { upload: async (_job: ChatJob, file: { name: string; bytes: Buffer }) => (uploads.push(`${file.name}:${file.bytes.toString('utf8')}`), { id: `F${uploads.length}`, name: file.name }) };
    const ledger = new RedisReasoningFileLedger({ redis, prefix });
    const input = { job: { platform: 'slack' } as ChatJob, jobId: 'job-1', reasoning: 'Because.', files, ledger, signal: new AbortController().signal, log: silentLogger() };
    const first = await deliverReasoningFile(input);
    const again = await deliverReasoningFile(input);
    expect([first, again, uploads]).toEqual([{ id: 'F1', name: 'reasoning.txt' }, { id: 'F1', name: 'reasoning.txt' }, ['reasoning.txt:Because.\n']]);
    expect(await deliverReasoningFile({ ...input, jobId: 'job-2', reasoning: '  ' })).toBeUndefined();
    expect(uploads).toHaveLength(1);
  });
});
