import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../src/observability/logger.ts';
import { startTracing, type Tracing } from '../../src/observability/tracing.ts';
import { finish, text, toolCall, usage, type FakeRequest } from '../fakes/ofox/index.ts';
import { RecordingPlatform } from '../fakes/recording-platform.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';

/**
 * One answer, one trace: from the enqueue (ingress) through BullMQ (producer and consumer spans,
 * the context carried in the job) to the worker's answer, its model rounds, its tool call and its
 * platform writes; and the trace id on every log line of the answer.
 */

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let pipeline: Pipeline;
let platform: RecordingPlatform;
const logLines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  // Before the pipeline: its queue and workers take BullMQ's telemetry when they are built.
  tracing = startTracing({ exporter, role: 'start' })!;
  platform = new RecordingPlatform();
  const log = createLogger({ level: 'info', destination: { write: (line: string) => void logLines.push(JSON.parse(line) as Record<string, unknown>) } });
  pipeline = await startPipeline({ ports: [platform], log });
});

afterAll(async () => {
  await pipeline?.stop();
  await tracing?.shutdown();
});

describe('a traced answer', () => {
  let spans: ReadableSpan[];
  let jobId: string;

  beforeAll(async () => {
    pipeline.fakeOfox.respond((request: FakeRequest) =>
      (request.body as { messages: Array<{ role: string }> }).messages.at(-1)?.role === 'tool'
        ? [text('It is 42.'), usage(20, 7), finish('stop')]
        : [text('Let me compute. '), toolCall('calculator', { expression: '6*7' }), usage(10, 5), finish('tool-calls')],
    );
    const placeholder = await platform.postPlaceholder('traced');
    ({ jobId } = await pipeline.services.enqueue({
      v: 1,
      eventId: `traced-${Date.now()}`,
      platform: 'recording',
      workspaceId: 'team',
      channelId: 'traced',
      userId: 'asker',
      prompt: 'what is 6*7?',
      placeholder,
      createdAt: Date.now(),
    }));
    expect((await pipeline.waitForJob(jobId)).outcome).toBe('complete');
    await tracing.flush();
    const ingress = exporter.getFinishedSpans().find((span) => span.name === 'ingress');
    spans = exporter.getFinishedSpans().filter((span) => span.spanContext().traceId === ingress?.spanContext().traceId);
  });

  const named = (name: string) => spans.filter((span) => span.name === name);
  const parentOf = (span: ReadableSpan) => spans.find((candidate) => candidate.spanContext().spanId === span.parentSpanContext?.spanId);

  it('has one trace from ingress through the queue to the worker', () => {
    expect(named('ingress')).toHaveLength(1);
    expect(named('add chat.answer')).toHaveLength(1);
    expect(named('process chat')).toHaveLength(1);
    expect(named('answer')).toHaveLength(1);
    expect(parentOf(named('add chat.answer')[0]!)?.name).toBe('ingress');
    expect(parentOf(named('process chat')[0]!)?.name).toBe('add chat.answer');
    expect(parentOf(named('answer')[0]!)?.name).toBe('process chat');
    expect(named('answer')[0]!.attributes).toMatchObject({ 'ofox_bot.job_id': jobId, 'ofox_bot.platform': 'recording', 'ofox_bot.outcome': 'complete' });
  });

  it('has a span for each model round, the tool call and every platform write, under the answer', async () => {
    const rounds = named('model round');
    expect(rounds.map((span) => span.attributes['ofox_bot.round'])).toEqual([1, 2]);
    expect(rounds.map((span) => span.attributes['ofox_bot.tokens.input'])).toEqual([10, 20]);
    expect(named('tool call').map((span) => span.attributes['ofox_bot.tool'])).toEqual(['calculator']);
    const edits = (await platform.store.writes()).filter((write) => write.kind === 'edit');
    expect(named('platform write')).toHaveLength(edits.length);
    for (const span of [...rounds, ...named('tool call'), ...named('platform write')]) expect(parentOf(span)?.name).toBe('answer');
  });

  it('puts the trace id on every log line of the answer', () => {
    const traceId = named('answer')[0]!.spanContext().traceId;
    const lines = logLines.filter((line) => line.jobId === jobId);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    for (const line of lines) expect(line.traceId).toBe(traceId);
    expect(lines.find((line) => line.msg === 'answer summary')?.spanId).toBe(named('answer')[0]!.spanContext().spanId);
  });
});
