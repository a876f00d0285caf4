import { describe, expect, it } from 'vitest';
import type { ChatMessage, ChatRequest } from '../../src/llm/types.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { SLOW_MODEL_NOTICE, runAgentLoop, type AgentLoopOptions } from '../../src/worker/agent-loop.ts';
import { FakeTools, RecordingView, ScriptedLlm, call, done, retry, say, usage } from './support/fakes.ts';

const question: ChatMessage[] = [
  { role: 'system', content: 'You are a test.' },
  { role: 'user', content: 'what is 6*7?' },
];

function loop(llm: ScriptedLlm, overrides: Partial<AgentLoopOptions> = {}) {
  const view = new RecordingView();
  const tools = (overrides.tools as FakeTools | undefined) ?? new FakeTools({ calculator: () => '42' });
  const run = runAgentLoop({
    llm,
    request: { model: 'openai/gpt-4o', messages: question },
    tools,
    view,
    maxRounds: 3,
    signal: new AbortController().signal,
    log: silentLogger(),
    ...overrides,
  });
  return { run, view, tools };
}

const lastMessages = (request: ChatRequest | undefined) => request?.messages.slice(question.length) ?? [];

describe('the agent loop, without Redis', () => {
  it('a text-only answer is one round, shown as it grows', async () => {
    const llm = new ScriptedLlm([[say('Forty'), say('-two.'), usage(10, 3), done('stop')]]);
    const { run, view } = loop(llm);
    expect(await run).toEqual({ text: 'Forty-two.', rounds: 1, inputTokens: 10, outputTokens: 3, cachedInputTokens: 0, cacheWriteTokens: 0, finishReason: 'stop', hitRoundLimit: false, retried: false });
    expect(view.bodies).toEqual(['Forty', 'Forty-two.']);
    expect(view.tools).toEqual([]);
    expect(llm.requests).toHaveLength(1);
    expect(llm.requests[0]?.tools?.map((tool) => tool.name)).toEqual(['calculator']);
  });

  it('a tool round trip: the call runs, its result goes to the next round, and both rounds’ text stays', async () => {
    const llm = new ScriptedLlm([
      [say('Let me compute.'), call('call_1', 'calculator', { expression: '6*7' }), usage(10, 5), done('tool-calls')],
      [say('It is 42.'), usage(30, 4), done('stop')],
    ]);
    const { run, view, tools } = loop(llm);
    const result = await run;
    expect(result).toMatchObject({ text: 'Let me compute.\n\nIt is 42.', rounds: 2, inputTokens: 40, outputTokens: 9, hitRoundLimit: false });
    expect(tools.calls).toEqual([{ id: 'call_1', name: 'calculator', input: { expression: '6*7' }, invalid: undefined }]);
    expect(lastMessages(llm.requests[1])).toEqual([
      { role: 'assistant', content: 'Let me compute.', toolCalls: [{ id: 'call_1', name: 'calculator', input: { expression: '6*7' } }] },
      { role: 'tool', toolCallId: 'call_1', toolName: 'calculator', content: '42', isError: false },
    ]);
    expect(view.tools.at(-1)).toEqual([{ id: 'call_1', name: 'calculator', summary: '{"expression":"6*7"}', state: 'done', durationMs: 5 }]);
    expect(view.body).toBe('Let me compute.\n\nIt is 42.');
  });

  it('a tool that names what it produced shows that in its line instead of its input', async () => {
    const llm = new ScriptedLlm([[call('call_1', 'image', { prompt: 'a diagram of the bot' }), done('tool-calls')], [say('Done.'), done('stop')]]);
    const tools = new FakeTools({ image: () => ({ output: 'Uploaded image to the thread: diagram.png.', produced: 'diagram.png' }) });
    const { run, view } = loop(llm, { tools });
    await run;
    expect(view.tools[0]).toEqual([{ id: 'call_1', name: 'image', summary: '{"prompt":"a diagram of the bot"}', state: 'running' }]);
    expect(view.tools.at(-1)).toEqual([{ id: 'call_1', name: 'image', summary: 'diagram.png', state: 'done', durationMs: 5 }]);
    expect(lastMessages(llm.requests[1]).at(-1)).toEqual({ role: 'tool', toolCallId: 'call_1', toolName: 'image', content: 'Uploaded image to the thread: diagram.png.', isError: false });
  });

  it('parallel tool calls run side by side and every result reaches the model in call order', async () => {
    let running = 0;
    let mostAtOnce = 0;
    const slowTool = async () => {
      running += 1;
      mostAtOnce = Math.max(mostAtOnce, running);
      await new Promise((resolve) => setTimeout(resolve, 20));
      running -= 1;
      return 'ok';
    };
    const tools = new FakeTools({ first: slowTool, second: slowTool, third: slowTool });
    const llm = new ScriptedLlm([[call('a', 'first'), call('b', 'second'), call('c', 'third'), done('tool-calls')], [say('All three done.'), done()]]);
    const { run, view } = loop(llm, { tools });
    expect((await run).text).toBe('All three done.');
    expect(mostAtOnce).toBe(3);
    expect(lastMessages(llm.requests[1]).filter((message) => message.role === 'tool').map((message) => (message.role === 'tool' ? message.toolCallId : ''))).toEqual([
      'a',
      'b',
      'c',
    ]);
    expect(view.tools.at(-1)?.map((status) => status.state)).toEqual(['done', 'done', 'done']);
  });

  it('an unknown tool, or a nameless call, becomes an error result the model reads, and the loop carries on', async () => {
    const llm = new ScriptedLlm([[call('x', 'no_such_tool'), call('y', ''), done('tool-calls')], [say('Sorry, I cannot do that.'), done()]]);
    const { run, view } = loop(llm);
    expect((await run).text).toBe('Sorry, I cannot do that.');
    const results = lastMessages(llm.requests[1]).filter((message) => message.role === 'tool');
    expect(results).toEqual([
      { role: 'tool', toolCallId: 'x', toolName: 'no_such_tool', content: 'unknown tool no_such_tool; available: calculator', isError: true },
      { role: 'tool', toolCallId: 'y', toolName: 'unknown_tool', content: 'unknown tool unknown_tool; available: calculator', isError: true },
    ]);
    expect(view.tools.at(-1)?.map((status) => [status.name, status.state, status.error])).toEqual([
      ['no_such_tool', 'failed', 'unknown tool no_such_tool; available: calculator'],
      ['unknown_tool', 'failed', 'unknown tool unknown_tool; available: calculator'],
    ]);
  });

  it('at the round limit the model is asked once more for an answer without tools', async () => {
    const again = [say('Checking.'), call('c', 'calculator', { expression: '1+1' }), done('tool-calls')];
    const llm = new ScriptedLlm([again, again, [say('Here is what I have.'), done('stop')]]);
    const { run, tools } = loop(llm, { maxRounds: 2 });
    const result = await run;
    expect(result).toMatchObject({ rounds: 3, hitRoundLimit: false, text: 'Checking.\n\nChecking.\n\nHere is what I have.' });
    expect(tools.calls).toHaveLength(2);
    expect(llm.requests).toHaveLength(3);
    expect(lastMessages(llm.requests[2]).at(-1)).toEqual({
      role: 'user',
      content: '(The tool-call limit of 2 rounds is reached. Answer now with what you have; do not call tools.)',
    });
  });

  it('a model that still calls tools after the final turn ends with the round limit hit, its calls not run', async () => {
    const again = [call('c', 'calculator', { expression: '1+1' }), done('tool-calls')];
    const llm = new ScriptedLlm([again, again]);
    const { run, tools } = loop(llm, { maxRounds: 1 });
    expect(await run).toMatchObject({ rounds: 2, hitRoundLimit: true });
    expect(tools.calls).toHaveLength(1);
  });

  it('a retry event replaces the round’s text, tool calls and usage instead of appending', async () => {
    const llm = new ScriptedLlm([
      [say('Let me compute.'), call('c', 'calculator', { expression: '6*7' }), done('tool-calls')],
      [say('The answer is for'), usage(1, 1), retry(), say('The answer is 42.'), usage(20, 5), done('stop')],
    ]);
    const { run, view } = loop(llm);
    const result = await run;
    expect(result).toMatchObject({ text: 'Let me compute.\n\nThe answer is 42.', retried: true, inputTokens: 20, outputTokens: 5 });
    // The earlier round stays on screen while the retried round starts over.
    expect(view.bodies).toEqual(['Let me compute.', 'Let me compute.\n\nThe answer is for', 'Let me compute.', 'Let me compute.\n\nThe answer is 42.']);
    expect(view.body.match(/The answer is/g)).toHaveLength(1);
  });

  it('a retry before any text was shown does not mark the answer regenerated', async () => {
    const llm = new ScriptedLlm([[retry(), say('Fine.'), done()]]);
    const { run } = loop(llm);
    expect(await run).toMatchObject({ text: 'Fine.', retried: false });
  });

  it('a slow model shows the notice until it speaks again', async () => {
    const llm = new ScriptedLlm([[{ type: 'slow' }, retry(), say('Finally.'), done()]]);
    const { run, view } = loop(llm);
    expect((await run).text).toBe('Finally.');
    expect(view.notices).toEqual([SLOW_MODEL_NOTICE, undefined]);
  });

  it('cancellation mid-stream stops the round with the abort reason; no further round starts', async () => {
    const controller = new AbortController();
    const llm = new ScriptedLlm([[say('Partial'), { type: 'hang' }]]);
    const { run, view } = loop(llm, { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('stopped by user')), 10);
    await expect(run).rejects.toThrow('stopped by user');
    expect(view.body).toBe('Partial');
    expect(llm.requests).toHaveLength(1);
  });

  it('cancellation while tools run ends the loop before the next model round', async () => {
    const controller = new AbortController();
    const tools = new FakeTools({
      calculator: () => {
        controller.abort(new Error('stopped by user'));
        return '42';
      },
    });
    const llm = new ScriptedLlm([[call('c', 'calculator'), done('tool-calls')], [say('never'), done()]]);
    const { run } = loop(llm, { tools, signal: controller.signal });
    await expect(run).rejects.toThrow('stopped by user');
    expect(llm.requests).toHaveLength(1);
  });

  it("waits for the team's request budget before each round, saying so while it waits", async () => {
    const waits: number[] = [];
    const budget = {
      take: async (_signal?: AbortSignal, onQueued?: (waitMs: number) => void) => {
        waits.push(waits.length === 0 ? 2_500 : 0);
        if (waits.length === 1) onQueued?.(2_500);
        return waits.at(-1)!;
      },
      observe: async () => {},
    };
    const llm = new ScriptedLlm([[call('c', 'calculator'), done('tool-calls')], [say('Done.'), done()]]);
    const { run, view } = loop(llm, { budget });
    await run;
    expect(waits).toEqual([2_500, 0]);
    expect(view.notices).toEqual(["⏳ queued: waiting 3 s for the team's model budget…", undefined, undefined]);
  });
});
