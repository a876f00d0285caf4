import { UnrecoverableError, WaitingError } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LlmError, createLlmClient } from '../../src/llm/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import type { ChatJob, ChatJobInput } from '../../src/queue/chat-job.ts';
import { LocalWritePacer, ProgressiveMessage } from '../../src/render/index.ts';
import type { ResolvedSettings } from '../../src/settings/types.ts';
import type { UsageRecord } from '../../src/usage/types.ts';
import type { AgentResult } from '../../src/worker/agent-loop.ts';
import { buildAnswerRequest, loadSettings } from '../../src/worker/answer-context.ts';
import { classifyFailure, readableError, settleFailure, type FailureState } from '../../src/worker/answer-failure.ts';
import { openAnswerMessage } from '../../src/worker/answer-message.ts';
import { EMPTY_ANSWER_TEXT, finishAnswer, finishNote, recordUsage } from '../../src/worker/finish-answer.ts';
import { answer, createChatProcessor, type AnswerJob, type CancelWatcher, type ChatProcessorDeps } from '../../src/worker/processor.ts';
import { readJob } from '../../src/worker/read-job.ts';
import type { FakeOfox } from '../fakes/ofox/index.ts';
import { stall, startFakeOfox, text } from '../fakes/ofox/index.ts';
import { RecordingPlatform } from '../fakes/recording-platform.ts';
import { FakeTools, ScriptedLlm, call, done, say, usage } from './support/fakes.ts';

// Every step of a chat job with in-memory ports: no Redis anywhere in this file.

const log = silentLogger();
let platform: RecordingPlatform;
let counter = 0;

beforeAll(() => {
  platform = new RecordingPlatform();
});

async function jobData(overrides: Partial<ChatJobInput> = {}): Promise<ChatJob> {
  counter += 1;
  const channelId = overrides.channelId ?? `steps-${counter}`;
  return {
    v: 1,
    eventId: `evt-${counter}`,
    platform: 'recording',
    workspaceId: 'team-1',
    channelId,
    userId: 'user-1',
    userName: 'Ada',
    prompt: 'hello',
    attachments: [],
    placeholder: await platform.postPlaceholder(channelId),
    continuations: [],
    private: false,
    fromCommand: false,
    createdAt: Date.now(),
    ...overrides,
  } as ChatJob;
}

function fakeJob(data: unknown, options: { attempts?: number; attemptsMade?: number } = {}) {
  const updates: ChatJob[] = [];
  const movedToWait: string[] = [];
  const job = {
    id: `job-${counter}`,
    data,
    opts: { attempts: options.attempts ?? 3 },
    attemptsMade: options.attemptsMade ?? 0,
    updateData: async (next: ChatJob) => {
      updates.push(next);
    },
    moveToWait: async (token?: string) => {
      movedToWait.push(token ?? '');
      return 0;
    },
  } as unknown as AnswerJob;
  return { job, updates, movedToWait };
}

class FakeCancels implements CancelWatcher {
  readonly controllers = new Map<string, AbortController>();
  async watch(jobId: string) {
    const controller = new AbortController();
    this.controllers.set(jobId, controller);
    return { signal: controller.signal, release: () => this.controllers.delete(jobId) };
  }
}

function messageFor(data: ChatJob) {
  return new ProgressiveMessage({ surface: platform.surfaceFor(data), pacer: new LocalWritePacer(), placeholder: data.placeholder, controls: { kind: 'stop', jobId: 'j' } });
}

async function shown(data: ChatJob): Promise<{ text: string; controls?: string } | undefined> {
  return (await platform.messages()).find((message) => message.id === data.placeholder?.id);
}

/** Final writes to the answer's first message: an abandoned answer makes none. */
async function finalWrites(data: ChatJob): Promise<string[]> {
  return (await platform.store.writes()).filter((write) => write.id === data.placeholder?.id && write.final).map((write) => write.text);
}

const agentResult = (overrides: Partial<AgentResult> = {}): AgentResult => ({
  text: 'An answer.',
  rounds: 1,
  inputTokens: 10,
  outputTokens: 5,
  cachedInputTokens: 0,
  cacheWriteTokens: 0,
  finishReason: 'stop',
  hitRoundLimit: false,
  retried: false,
  ...overrides,
});

describe('reading the job', () => {
  it('fills the schema defaults and finds the platform', async () => {
    const { ports, data } = readJob('j1', { ...(await jobData()), attachments: undefined, continuations: undefined }, new Map([['recording', platform]]), log);
    expect(ports).toBe(platform);
    expect(data.attachments).toEqual([]);
    expect(data.continuations).toEqual([]);
  });

  it('invalid data and an unknown platform fail for good', async () => {
    const platforms = new Map([['recording', platform]]);
    expect(() => readJob('j1', { v: 1, prompt: 'x' }, platforms, log)).toThrow(new UnrecoverableError('invalid job data'));
    expect(() => readJob('j1', { ...(minimalJob()), platform: 'telegram' }, platforms, log)).toThrow(new UnrecoverableError('no adapter for platform telegram'));
  });
});

function minimalJob(): ChatJobInput {
  return { v: 1, eventId: 'e', platform: 'recording', workspaceId: 'w', channelId: 'c', userId: 'u', prompt: 'p', createdAt: 1 };
}

describe('settings and the model request', () => {
  it('a settings failure is carried, not thrown, so it can be shown in the message', async () => {
    const data = await jobData();
    const failure = new Error('redis down');
    expect(await loadSettings({ resolve: async () => ({ tools: {}, model: 'x/y' }) }, data)).toEqual({ ok: true, settings: { tools: {}, model: 'x/y' } });
    expect(await loadSettings({ resolve: async () => Promise.reject(failure) }, data)).toEqual({ ok: false, error: failure });
  });

  it("the job's model wins over the channel's, which wins over the default; the persona leads the conversation", async () => {
    const defaults = { model: 'openai/gpt-4o', contextTokenBudget: 10_000, attachmentTextMaxBytes: 1000, maxOutputTokens: 512, fallbackModels: ['openai/gpt-4o-mini'] };
    const settings: ResolvedSettings = { tools: {}, model: 'anthropic/claude-sonnet-4.5', persona: 'You are a pirate.' };
    const signal = new AbortController().signal;
    const fromChannel = await buildAnswerRequest(await jobData(), settings, platform, signal, defaults);
    expect(fromChannel).toEqual({
      model: 'anthropic/claude-sonnet-4.5',
      messages: [
        { role: 'system', content: 'You are a pirate.' },
        { role: 'user', content: 'Ada: hello' },
      ],
      maxOutputTokens: 512,
      fallbackModels: ['openai/gpt-4o-mini'],
    });
    expect((await buildAnswerRequest(await jobData({ model: 'openai/o3' }), settings, platform, signal, defaults)).model).toBe('openai/o3');
    expect((await buildAnswerRequest(await jobData(), { tools: {} }, platform, signal, defaults)).model).toBe('openai/gpt-4o');
  });
});

describe("the answer's message", () => {
  it('writes every message it posts back to the job, so a retry edits rather than posts', async () => {
    const data = await jobData({ placeholder: undefined });
    const { job, updates } = fakeJob(data);
    const message = openAnswerMessage({ job, data, jobId: 'j', surface: platform.surfaceFor(data), pacer: new LocalWritePacer(), log, onRefused: () => {} });
    message.setBody('Posted fresh.');
    const refs = await message.finish({ outcome: 'complete' });
    expect(refs).toHaveLength(1);
    expect(updates).toEqual([{ ...data, placeholder: refs[0] }]);
  });
});

describe('the finish step', () => {
  it('an empty answer says so, with the feedback buttons', async () => {
    const data = await jobData();
    await finishAnswer(messageFor(data), agentResult({ text: '  ' }), { jobId: 'j', maxRounds: 3 });
    expect(await shown(data)).toMatchObject({ text: EMPTY_ANSWER_TEXT, controls: 'feedback' });
  });

  it('a round limit ends the answer with an error footer; the output limit with a note', async () => {
    const limited = await jobData();
    const message = messageFor(limited);
    message.setBody('So far.');
    await finishAnswer(message, agentResult({ text: 'So far.', hitRoundLimit: true }), { jobId: 'j', maxRounds: 3 });
    expect((await shown(limited))?.text).toBe('So far.\n\n_⚠️ error: stopped after 3 rounds of tool calls_');
    expect(finishNote('length')).toBe('the answer hit the output length limit');
    expect(finishNote('content-filter')).toBe('the answer was cut by the content filter');
    expect(finishNote('stop')).toBeUndefined();
  });

  it('usage is recorded once per answer with its model, cached tokens and price; a failing store is logged, never thrown', async () => {
    const data = await jobData();
    const records: UsageRecord[] = [];
    const used = { model: 'openai/gpt-4o', inputTokens: 120, outputTokens: 30, cachedInputTokens: 100, cacheWriteTokens: 0 };
    await recordUsage({ record: async (record) => void records.push(record) }, data, used, 4_200, log);
    expect(records).toEqual([
      { platform: 'recording', workspaceId: 'team-1', channelId: data.channelId, userId: 'user-1', requests: 1, model: 'openai/gpt-4o', inputTokens: 120, outputTokens: 30, cachedInputTokens: 100, cacheWriteTokens: 0, costNanoUsd: 4_200 },
    ]);
    await expect(recordUsage({ record: () => Promise.reject(new Error('redis down')) }, data, used, undefined, log)).resolves.toBeUndefined();
  });
});

describe('classifying a failure', () => {
  const calm: FailureState = { lockLost: false, refusal: undefined, cancelled: false, shuttingDown: false, attemptsLeft: 2, toolsRan: false, answered: false };
  const llmError = new LlmError('OfoxAI HTTP 401', { kind: 'auth' }, { status: 401 });

  it.each([
    ['a lost lock wins over everything', { ...calm, lockLost: true, cancelled: true, shuttingDown: true }, new Error('x'), { kind: 'lock-lost' }],
    ['a refusal', { ...calm, refusal: { error: Object.assign(new Error('Missing Access'), { permanent: true }) } }, new Error('x'), { kind: 'refused', reason: 'the chat platform refused the message: Missing Access' }],
    ['a stop', { ...calm, cancelled: true, shuttingDown: true }, new Error('x'), { kind: 'stopped' }],
    ['a shutdown', { ...calm, shuttingDown: true }, new Error('x'), { kind: 'shutdown' }],
    ['an infrastructure error with attempts left', calm, new Error('ECONNRESET'), { kind: 'retry-job', attemptsLeft: 2 }],
    ['an infrastructure error on the last attempt', { ...calm, attemptsLeft: 0 }, new Error('ECONNRESET'), { kind: 'show-error', reason: 'something went wrong on our side; please try again' }],
    ['an infrastructure error after a tool ran', { ...calm, toolsRan: true }, new Error('ECONNRESET'), { kind: 'show-error', reason: 'something went wrong on our side; please try again' }],
    ['an infrastructure error after the model answered (never paid twice)', { ...calm, answered: true }, new Error('ECONNRESET'), { kind: 'show-error', reason: 'something went wrong on our side; please try again' }],
    ['a model error', calm, llmError, { kind: 'show-error', reason: "OfoxAI rejected the bot's API key (401); an admin needs to check OFOX_API_KEY." }],
  ] as const)('%s', (_name, state, error, action) => {
    expect(classifyFailure(error, state)).toMatchObject(action);
  });

  it('reads a malformed job as such', () => {
    expect(readableError(Object.assign(new Error('bad'), { name: 'ZodError' }))).toBe('the request was malformed');
  });
});

describe('settling a failure', () => {
  async function context() {
    const data = await jobData();
    const message = messageFor(data);
    message.setBody('Half an answer');
    const { job, movedToWait } = fakeJob(data);
    return { data, message, job, movedToWait, settle: { message, job, token: 'lock-token', rounds: 1, log } };
  }

  it('a stop ends the answer with the stopped mark', async () => {
    const { data, settle } = await context();
    expect(await settleFailure({ kind: 'stopped' }, new Error('x'), settle)).toMatchObject({ outcome: 'stopped', rounds: 1 });
    expect((await shown(data))?.text).toBe('Half an answer\n\n_⏹ stopped_');
  });

  it('an error is shown in the answer and returned', async () => {
    const { data, settle } = await context();
    const result = await settleFailure({ kind: 'show-error', reason: 'the model is overloaded' }, new Error('x'), settle);
    expect(result).toMatchObject({ outcome: 'error', error: 'the model is overloaded' });
    expect((await shown(data))?.text).toBe('Half an answer\n\n_⚠️ error: the model is overloaded_');
  });

  it('a job to retry says so, then throws for BullMQ', async () => {
    const { data, settle } = await context();
    const error = new Error('ECONNRESET');
    await expect(settleFailure({ kind: 'retry-job', attemptsLeft: 1 }, error, settle)).rejects.toBe(error);
    expect((await shown(data))?.text).toBe('Half an answer\n\n_⚠️ hit a snag; retrying…_');
  });

  it('a shutdown hands the job back to the queue without a final write', async () => {
    const { data, settle, movedToWait } = await context();
    await expect(settleFailure({ kind: 'shutdown' }, new Error('x'), settle)).rejects.toBeInstanceOf(WaitingError);
    expect(movedToWait).toEqual(['lock-token']);
    expect(await finalWrites(data)).toEqual([]);
  });

  it('a refusal by the platform ends the job with the reason and writes nothing more', async () => {
    const { data, settle } = await context();
    const refusal = Object.assign(new Error('Missing Access'), { permanent: true });
    const result = await settleFailure({ kind: 'refused', reason: 'the chat platform refused the message: Missing Access', refusal }, refusal, settle);
    expect(result).toEqual({ outcome: 'error', chars: 0, rounds: 1, messages: [data.placeholder], error: 'the chat platform refused the message: Missing Access' });
    expect(await finalWrites(data)).toEqual([]);
  });

  it('a lost lock writes nothing more and rethrows', async () => {
    const { data, settle } = await context();
    const error = new Error('lock lost');
    await expect(settleFailure({ kind: 'lock-lost' }, error, settle)).rejects.toBe(error);
    expect(await finalWrites(data)).toEqual([]);
  });
});

describe('a whole chat job with in-memory ports', () => {
  function deps(llm: ChatProcessorDeps['llm'], overrides: Partial<ChatProcessorDeps> = {}) {
    const usageRecords: UsageRecord[] = [];
    const cancels = new FakeCancels();
    const shutdown = new AbortController();
    const built: ChatProcessorDeps = {
      llm,
      platforms: new Map([['recording', platform]]),
      settings: { resolve: async () => ({ tools: {} }) },
      tools: { forAnswer: () => new FakeTools({ calculator: () => '42' }) },
      pacer: new LocalWritePacer(),
      cancels,
      usage: { record: async (record) => void usageRecords.push(record) },
      shutdownSignal: shutdown.signal,
      log,
      defaults: { model: 'openai/gpt-4o', maxRounds: 3, contextTokenBudget: 10_000, attachmentTextMaxBytes: 1000 },
      ...overrides,
    };
    return { deps: built, usageRecords, cancels, shutdown };
  }

  it('the answer step fails with the carried settings error, and notes when a tool ran', async () => {
    const data = await jobData();
    const failure = new Error('redis down');
    const view = { setBody: () => {}, setTools: () => {}, setNotice: () => {} };
    const base = { data, jobId: 'j', ports: platform, signal: new AbortController().signal, view, log };
    const { deps: built } = deps(new ScriptedLlm([[call('c', 'calculator'), done('tool-calls')], [say('Done.'), done()]]));
    await expect(answer(built, { ...base, settings: { ok: false, error: failure }, progress: { toolsRan: false } })).rejects.toBe(failure);
    const progress = { toolsRan: false };
    expect(await answer(built, { ...base, settings: { ok: true, settings: { tools: {} } }, progress })).toMatchObject({ text: 'Done.', rounds: 2, model: 'openai/gpt-4o' });
    expect(progress.toolsRan).toBe(true);
  });

  it('answers, records usage and leaves the feedback buttons', async () => {
    const data = await jobData();
    const llm = new ScriptedLlm([[call('c', 'calculator'), usage(10, 2), done('tool-calls')], [say('It is 42.'), usage(20, 3), done()]]);
    const { deps: built, usageRecords } = deps(llm);
    const result = await createChatProcessor(built)(fakeJob(data).job);
    expect(result).toEqual({ outcome: 'complete', chars: 'It is 42.'.length, rounds: 2, messages: [data.placeholder] });
    expect(await shown(data)).toMatchObject({ text: 'It is 42.\n\n✅ **calculator** — done in 5 ms', controls: 'feedback' });
    expect(usageRecords).toEqual([expect.objectContaining({ requests: 1, inputTokens: 30, outputTokens: 5 })]);
  });

  it('a settings failure is shown in the answer (after the last attempt) instead of a stuck placeholder', async () => {
    const data = await jobData();
    const { deps: built } = deps(new ScriptedLlm([]), { settings: { resolve: () => Promise.reject(new Error('redis down')) } });
    const { job } = fakeJob(data, { attempts: 1 });
    expect(await createChatProcessor(built)(job)).toMatchObject({ outcome: 'error', error: 'something went wrong on our side; please try again' });
    expect((await shown(data))?.text).toBe('_⚠️ error: something went wrong on our side; please try again_');
  });

  it('a final write that keeps failing does not run the model again: usage is recorded and the job ends', async () => {
    const data = await jobData();
    const failingFinal = {
      ...platform,
      platform: 'recording',
      conversation: platform.conversation,
      surfaceFor: (job: ChatJob) => {
        const surface = platform.surfaceFor(job);
        return { ...surface, edit: (ref, text, options) => (options?.final ? Promise.reject(new Error('503 Service Unavailable')) : surface.edit(ref, text, options)) } satisfies typeof surface;
      },
    };
    const llm = new ScriptedLlm([[say('A paid answer.'), usage(50, 7), done()]]);
    const { deps: built, usageRecords } = deps(llm, { platforms: new Map([['recording', failingFinal]]) });
    const result = await createChatProcessor(built)(fakeJob(data, { attempts: 3 }).job);
    expect(result).toMatchObject({ outcome: 'error', error: 'something went wrong on our side; please try again' });
    expect(llm.requests).toHaveLength(1);
    expect(usageRecords).toEqual([expect.objectContaining({ requests: 1, inputTokens: 50, outputTokens: 7 })]);
  });

  it('a stop mid-answer ends with the stopped mark', async () => {
    const data = await jobData();
    const llm = new ScriptedLlm([[say('Working on it'), { type: 'hang' }]]);
    const { deps: built, cancels } = deps(llm);
    const running = createChatProcessor(built)(fakeJob(data).job);
    await vi.waitFor(() => expect(cancels.controllers.size).toBe(1));
    setTimeout(() => [...cancels.controllers.values()][0]?.abort(new Error('stopped by user')), 20);
    expect(await running).toMatchObject({ outcome: 'stopped' });
    expect((await shown(data))?.text).toMatch(/⏹ stopped_$/);
  });
});

describe('a stalled model through the real client (fake OfoxAI on loopback, clocks scaled down 60×)', () => {
  let fake: FakeOfox;
  beforeAll(async () => {
    fake = await startFakeOfox();
  });
  afterAll(() => fake.close());

  function stalledDeps() {
    const llm = createLlmClient({
      apiKey: fake.apiKey,
      openaiBaseUrl: fake.openaiBaseUrl,
      anthropicBaseUrl: fake.anthropicBaseUrl,
      idleTimeoutMs: 500,
      firstByteTimeoutMs: 2_000,
      stallBudgetMs: 1_500,
      slowNoticeMs: 250,
      retryBaseMs: 1,
      retryMaxMs: 5,
    });
    return {
      llm,
      platforms: new Map([['recording', platform]]),
      settings: { resolve: async () => ({ tools: {} }) },
      tools: { forAnswer: () => new FakeTools({}) },
      pacer: new LocalWritePacer(),
      cancels: new FakeCancels(),
      shutdownSignal: new AbortController().signal,
      log,
      defaults: { model: 'openai/gpt-4o', maxRounds: 3, contextTokenBudget: 10_000, attachmentTextMaxBytes: 1000 },
    } satisfies ChatProcessorDeps;
  }

  async function writesOf(data: ChatJob): Promise<string[]> {
    return (await platform.store.writes()).filter((write) => write.id === data.placeholder?.id).map((write) => write.text);
  }

  it('says the model is slow while it stalls, and a retry completes the answer without repeating its text', async () => {
    fake.reset();
    fake.enqueue([text('Once upon'), stall(10_000)], [text('Once upon a time, the end.')]);
    const data = await jobData();
    const result = await createChatProcessor(stalledDeps())(fakeJob(data).job);
    expect(result).toMatchObject({ outcome: 'complete', rounds: 1 });
    expect(fake.requests).toHaveLength(2);
    expect((await writesOf(data)).some((written) => written === 'Once upon\n\n_⏳ the model is slow to respond…_')).toBe(true);
    expect((await shown(data))?.text).toBe('Once upon a time, the end.\n\n_↻ regenerated after an interrupted attempt_');
  });

  it('a model that stays silent ends within the stall budget with a readable error in the answer', async () => {
    fake.reset();
    fake.enqueue([text('Once upon'), stall(10_000)]);
    fake.respond(() => [stall(10_000), text('too late')]);
    const data = await jobData();
    const started = performance.now();
    const result = await createChatProcessor(stalledDeps())(fakeJob(data).job);
    expect(performance.now() - started).toBeLessThan(6_000);
    const reason = 'The model sent nothing for 2 s, even after retrying; try again later or pick another model.';
    expect(result).toMatchObject({ outcome: 'error', error: reason });
    expect(fake.requests).toHaveLength(2);
    expect((await writesOf(data)).some((written) => written.endsWith('_⏳ the model is slow to respond…_'))).toBe(true);
    expect((await shown(data))?.text).toBe(`_⚠️ error: ${reason}_`);
  });
});
