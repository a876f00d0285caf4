import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { jobIdFor, type ChatJobInput } from '../../src/queue/chat-job.ts';
import { disconnect, finish, reply, text, toolCall, toolCalls, usage, type FakeRequest } from '../fakes/ofox/index.ts';
import { RecordingPlatform } from '../fakes/recording-platform.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';

let pipeline: Pipeline;
let platform: RecordingPlatform;
let eventCounter = 0;

function lastMessageIsToolResult(request: FakeRequest): boolean {
  const messages = (request.body as { messages?: Array<{ role: string; content: unknown }> }).messages ?? [];
  const last = messages.at(-1);
  if (!last) return false;
  if (last.role === 'tool') return true;
  return Array.isArray(last.content) && last.content.some((block) => (block as { type?: string }).type === 'tool_result');
}

async function ask(prompt: string, overrides: Partial<ChatJobInput> = {}) {
  eventCounter += 1;
  const eventId = `evt-${eventCounter}-${Date.now()}`;
  const channelId = overrides.channelId ?? `chan-${eventCounter}`;
  const placeholder = await platform.postPlaceholder(channelId);
  const job: ChatJobInput = {
    v: 1,
    eventId,
    platform: 'recording',
    workspaceId: 'team-1',
    channelId,
    userId: 'user-1',
    userName: 'Ada',
    prompt,
    placeholder,
    createdAt: Date.now(),
    ...overrides,
  };
  const { jobId } = await pipeline.services.enqueue(job);
  return { jobId, placeholder, job };
}

async function finalText(id: string): Promise<string | undefined> {
  return (await platform.messages()).find((message) => message.id === id)?.text;
}

beforeAll(async () => {
  platform = new RecordingPlatform({ approvals: true });
  pipeline = await startPipeline({ ports: [platform] });
});

afterAll(async () => {
  await pipeline?.stop();
});

beforeEach(() => {
  pipeline.fakeOfox.reset();
});

describe('the pipeline from job to finished message', () => {
  it('streams an answer into the placeholder and ends with the model text and a feedback control', async () => {
    pipeline.fakeOfox.enqueue(reply('Hello **team**, the build is green.', { chunkSize: 4 }));
    const { jobId, placeholder } = await ask('how is the build?');
    const result = await pipeline.waitForJob(jobId);
    expect(result.outcome).toBe('complete');
    expect(await finalText(placeholder.id)).toBe('Hello **team**, the build is green.');
    const messages = await platform.messages();
    expect(messages.filter((message) => message.id === placeholder.id)[0]?.controls).toBe('feedback');
    // The question reached the model with the speaker's name and a system prompt.
    const sent = pipeline.fakeOfox.requests.at(-1)!.body as { messages: Array<{ role: string; content: string }> };
    expect(sent.messages[0]?.role).toBe('system');
    expect(sent.messages.at(-1)?.content).toBe('Ada: how is the build?');
  });

  it('a redelivered event makes one answer', async () => {
    const eventId = `dup-${Date.now()}`;
    expect(await pipeline.services.claimEvent('recording', eventId)).toBe(true);
    expect(await pipeline.services.claimEvent('recording', eventId)).toBe(false);
    pipeline.fakeOfox.enqueue(reply('only once'));
    const placeholder = await platform.postPlaceholder('dup-channel');
    const job: ChatJobInput = { v: 1, eventId, platform: 'recording', workspaceId: 'w', channelId: 'dup-channel', userId: 'u', prompt: 'hi', placeholder, createdAt: Date.now() };
    const first = await pipeline.services.enqueue(job);
    const second = await pipeline.services.enqueue(job);
    expect(first.duplicate).toBe(false);
    expect(second).toEqual({ jobId: first.jobId, duplicate: true });
    await pipeline.waitForJob(first.jobId);
    expect(pipeline.fakeOfox.requests.length).toBe(1);
  });

  for (const model of ['openai/gpt-4o', 'anthropic/claude-sonnet-4.5']) {
    it(`a tool round trip feeds the tool's result into the next round (${model})`, async () => {
      pipeline.fakeOfox.respond((request) =>
        lastMessageIsToolResult(request) ? reply('17% of 2340 is 397.8.') : [text('Let me compute. '), toolCall('calculator', { expression: '2340 * 0.17' }), finish('tool-calls')],
      );
      const { jobId, placeholder } = await ask('what is 17% of 2340?', { model });
      const result = await pipeline.waitForJob(jobId);
      expect(result.outcome).toBe('complete');
      expect(result.rounds).toBe(2);
      const shown = await finalText(placeholder.id);
      expect(shown).toContain('Let me compute.');
      expect(shown).toContain('17% of 2340 is 397.8.');
      expect(shown).toMatch(/calculator/);
      const second = JSON.stringify(pipeline.fakeOfox.requests[1]!.body);
      expect(second).toContain('397.8');
      expect(pipeline.fakeOfox.requests[1]!.protocol).toBe(model.startsWith('anthropic/') ? 'anthropic' : 'openai');
    });
  }

  it('parallel tool calls all run and all results reach the model', async () => {
    pipeline.fakeOfox.respond((request) =>
      lastMessageIsToolResult(request)
        ? reply('Both done.')
        : [
            toolCalls([
              { id: 'call_a', name: 'calculator', arguments: { expression: '6*7' } },
              { id: 'call_b', name: 'current_time', arguments: { timeZone: 'Europe/Paris' } },
              { id: 'call_c', name: 'no_such_tool', arguments: {} },
            ], { interleave: true }),
            finish('tool-calls'),
          ],
    );
    const { jobId, placeholder } = await ask('two things at once');
    await pipeline.waitForJob(jobId);
    const second = pipeline.fakeOfox.requests[1]!.body as { messages: Array<{ role: string; tool_call_id?: string; content: string }> };
    const toolMessages = second.messages.filter((message) => message.role === 'tool');
    expect(toolMessages.map((message) => message.tool_call_id).sort()).toEqual(['call_a', 'call_b', 'call_c']);
    expect(toolMessages.find((message) => message.tool_call_id === 'call_a')?.content).toContain('42');
    expect(toolMessages.find((message) => message.tool_call_id === 'call_c')?.content).toMatch(/unknown tool no_such_tool/);
    expect(await finalText(placeholder.id)).toContain('Both done.');
  });

  it('invalid tool arguments reach the model as an error and it carries on', async () => {
    pipeline.fakeOfox.respond((request) =>
      lastMessageIsToolResult(request)
        ? reply('Sorry, fixed it.')
        : [{ type: 'tool-calls', calls: [{ id: 'bad', name: 'calculator', arguments: '{"expression": "1+' }] } as never, finish('tool-calls')],
    );
    const { jobId, placeholder } = await ask('break the tool');
    await pipeline.waitForJob(jobId);
    const second = JSON.stringify(pipeline.fakeOfox.requests[1]!.body);
    expect(second).toMatch(/not valid JSON/);
    expect(await finalText(placeholder.id)).toContain('Sorry, fixed it.');
  });

  it('a stream broken mid-answer is retried and its text is not duplicated', async () => {
    pipeline.fakeOfox.enqueue([text('The answer is forty', { chunkSize: 5 }), disconnect()], reply('The answer is forty-two.', { chunkSize: 5 }));
    const { jobId, placeholder } = await ask('what is the answer?');
    const result = await pipeline.waitForJob(jobId);
    expect(result.outcome).toBe('complete');
    const shown = (await finalText(placeholder.id))!;
    expect(shown.startsWith('The answer is forty-two.')).toBe(true);
    expect(shown.match(/The answer is/g)).toHaveLength(1);
  });

  it('a stop request ends the answer with the stopped mark', async () => {
    pipeline.fakeOfox.enqueue([text('word '.repeat(400), { tokensPerSecond: 40 }), finish('stop')]);
    const { jobId, placeholder } = await ask('talk for a long time');
    const deadline = Date.now() + 5_000;
    while (!(await finalText(placeholder.id))?.includes('word') && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await pipeline.services.canCancel(jobId, 'someone-else', false)).toBe(false);
    expect(await pipeline.services.canCancel(jobId, 'user-1', false)).toBe(true);
    expect(await pipeline.services.cancel(jobId, 'user-1')).toBe(true);
    const result = await pipeline.waitForJob(jobId);
    expect(result.outcome).toBe('stopped');
    expect(await finalText(placeholder.id)).toMatch(/stopped/);
    expect((await finalText(placeholder.id))!.length).toBeLessThan('word '.repeat(400).length);
  });

  it('a model error ends in a readable message, never a stuck placeholder', async () => {
    pipeline.fakeOfox.enqueue([{ type: 'http-error', status: 400, message: 'model `nope/nope` does not exist' } as never]);
    const { jobId, placeholder } = await ask('hello', { model: 'nope/nope' });
    const result = await pipeline.waitForJob(jobId);
    expect(result.outcome).toBe('error');
    const shown = (await finalText(placeholder.id))!;
    expect(shown).toMatch(/error/i);
    expect(shown).not.toContain('thinking');
    expect(shown).not.toContain(pipeline.config.OFOX_API_KEY!);
  });

  it('usage is recorded per user and channel for the day', async () => {
    pipeline.fakeOfox.enqueue([text('counted'), usage(120, 30), finish('stop')]);
    const { jobId, job } = await ask('count me', { userId: 'usage-user', channelId: 'usage-channel' });
    await pipeline.waitForJob(jobId);
    const report = await pipeline.core.usage.report({ platform: 'recording', workspaceId: 'team-1', channelId: job.channelId!, userId: 'usage-user' }, 1);
    // Priced from the fake's model list: 120 × $2.50/M in + 30 × $10/M out = $0.0006.
    expect(report.days[0]?.user).toEqual({ requests: 1, inputTokens: 120, outputTokens: 30, cachedInputTokens: 0, costNanoUsd: 600_000, images: 0 });
    expect(report.days[0]?.channel.inputTokens).toBe(120);
  });

  it('a channel persona and model from settings reach the model', async () => {
    await pipeline.core.settings.update({ platform: 'recording', workspaceId: 'team-1', channelId: 'persona-chan' }, 'channel', {
      persona: 'You are a pirate.',
      model: 'anthropic/claude-sonnet-4.5',
    });
    pipeline.fakeOfox.enqueue(reply('Arr.'));
    const { jobId } = await ask('hi', { channelId: 'persona-chan' });
    await pipeline.waitForJob(jobId);
    const request = pipeline.fakeOfox.requests.at(-1)!;
    expect(request.protocol).toBe('anthropic');
    expect(JSON.stringify(request.body)).toContain('You are a pirate.');
  });

  it('the job id is derived from the platform event id', () => {
    expect(jobIdFor('slack', 'Ev:1')).toBe('slack-Ev_1');
  });
});
