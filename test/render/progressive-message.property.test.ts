import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LocalWritePacer, NO_ANSWER_TEXT, ProgressiveMessage, SUPERSEDED_TEXT, type SurfaceLimits, type ToolStatus } from '../../src/render/index.ts';
import { footerLine, toolStatusBlock, truncate, type AnswerOutcome } from '../../src/render/status-text.ts';
import { balanced, rejoin } from './helpers/fences.ts';
import { ManualClock } from './helpers/manual-clock.ts';
import { busiestWindow, RecordingSurface, type Failure, type SurfaceCall } from './helpers/recording-surface.ts';

/** A small seeded generator, so a failing run replays exactly from fast-check's counterexample. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
  };
}

const token = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('answer', 'streams', 'the', 'Redis', 'channel', 'café', '🦊', 'x'.repeat(40)) },
  { weight: 4, arbitrary: fc.constantFrom(' ', ' ', ' ', '\n', '\n\n') },
  { weight: 1, arbitrary: fc.constantFrom('```ts\n', '\n```\n', '~~~\n', '```\n') },
);
const text = fc.array(token, { maxLength: 300, size: 'large' }).map((tokens) => tokens.join(''));

const answer = fc.record({
  placeholder: fc.boolean(),
  body: text,
  /** A first attempt streamed partly, then replaced (a retry). */
  firstAttempt: fc.option(text, { nil: undefined }),
  chunks: fc.array(fc.integer({ min: 1, max: 120 }), { minLength: 1, maxLength: 40 }),
  gapMs: fc.integer({ min: 0, max: 900 }),
  startMs: fc.integer({ min: 0, max: 3_000 }),
  tools: fc.integer({ min: 0, max: 4 }),
  outcome: fc.constantFrom<AnswerOutcome>('complete', 'stopped', 'error'),
});

const scenario = fc.record({
  maxChars: fc.integer({ min: 80, max: 600 }),
  minEditIntervalMs: fc.integer({ min: 0, max: 1_500 }),
  budget: fc.option(fc.record({ editsPerWindow: fc.integer({ min: 1, max: 6 }), windowMs: fc.integer({ min: 100, max: 6_000 }) }), { nil: undefined }),
  latencyMaxMs: fc.integer({ min: 0, max: 1_000 }),
  rateLimitChance: fc.double({ min: 0, max: 0.7, noNaN: true }),
  retryAfterMaxMs: fc.integer({ min: 0, max: 4_000 }),
  failChance: fc.double({ min: 0, max: 0.25, noNaN: true }),
  answers: fc.array(answer, { minLength: 1, maxLength: 3 }),
  seed: fc.integer(),
});

function toolsFor(count: number, state: ToolStatus['state']): ToolStatus[] {
  return Array.from({ length: count }, (_, index) => ({ id: `t${index}`, name: `tool_${index}`, summary: `query ${index}`, state, durationMs: 100 * index }));
}

/** What ProgressiveMessage puts under the text of the last message at the end. */
function expectedTail(maxChars: number, tools: ToolStatus[], footer: string): string {
  const room = Math.floor(maxChars / 2) - 2;
  const toolRoom = room - footer.length - (footer ? 1 : 0);
  return truncate([toolRoom > 0 ? toolStatusBlock(tools, toolRoom) : '', footer].filter(Boolean).join('\n'), room);
}

describe('ProgressiveMessage under random timings, latency and failures', () => {
  it('keeps every rendering invariant', async () => {
    await fc.assert(
      fc.asyncProperty(scenario, async (run) => {
        const clock = new ManualClock();
        const next = random(run.seed);
        const limits: SurfaceLimits = {
          maxChars: run.maxChars,
          minEditIntervalMs: run.minEditIntervalMs,
          channelEditsPerWindow: run.budget?.editsPerWindow,
          channelWindowMs: run.budget?.windowMs,
        };
        const channelLog: SurfaceCall[] = [];
        const pacer = new LocalWritePacer({ clock });
        const failure = (): Failure | undefined => {
          const roll = next();
          if (roll < run.rateLimitChance) return { kind: 'rate-limited', retryAfterMs: Math.floor(next() * run.retryAfterMaxMs) };
          if (roll < run.rateLimitChance + run.failChance * (1 - run.rateLimitChance)) return { kind: 'failed' };
          return undefined;
        };
        const sleep = (ms: number) => new Promise<void>((resolve) => clock.setTimeout(resolve, ms));

        const drives = run.answers.map(async (plan, index) => {
          const surface = new RecordingSurface({ clock, limits, channelLog, idPrefix: `a${index}-`, latency: () => Math.floor(next() * run.latencyMaxMs), failure });
          const message = new ProgressiveMessage({
            surface,
            pacer,
            clock,
            placeholder: plan.placeholder ? surface.placeholder() : undefined,
            controls: { kind: 'stop', jobId: `job-${index}` },
            finalAttempts: 10_000,
            finalRateLimitRetries: 1_000_000,
          });
          await sleep(plan.startMs);
          const attempts = plan.firstAttempt === undefined ? [plan.body] : [plan.firstAttempt, plan.body];
          for (const [attempt, body] of attempts.entries()) {
            let position = 0;
            for (const [step, chunk] of plan.chunks.entries()) {
              position += chunk;
              message.setBody(body.slice(0, position));
              if (step === 1) message.setTools(toolsFor(plan.tools, 'running'));
              if (step === 2) message.setNotice('queued: waiting for the model budget…');
              if (step === 3) message.setNotice(undefined);
              await sleep(plan.gapMs);
              // The first attempt breaks off halfway.
              if (attempt === 0 && attempts.length === 2 && position >= body.length / 2) break;
            }
            if (attempt === 0 && attempts.length === 2) message.setBody('');
          }
          message.setBody(plan.body);
          message.setTools(toolsFor(plan.tools, 'done'));
          const refs = await message.finish({ outcome: plan.outcome, controls: { kind: 'feedback', jobId: `job-${index}` } });
          return { surface, refs, plan };
        });
        const results = await clock.run(Promise.all(drives));

        for (const { surface, refs, plan } of results) {
          // Never two writes in flight for one message (nor for one answer).
          expect(surface.maxInFlightPerMessage).toBeLessThanOrEqual(1);
          expect(surface.maxInFlightTotal).toBeLessThanOrEqual(1);
          expect(refs.map((ref) => ref.id)).toEqual(surface.created);

          // Every write fits and renders on its own.
          for (const call of surface.calls) {
            expect(call.text.length).toBeLessThanOrEqual(run.maxChars);
            expect(balanced(call.text)).toBe(true);
          }

          // The edit interval of each message holds before each of its updates (a final write,
          // the message's complete text, waits for the platform's budgets alone).
          for (const id of surface.created) {
            const calls = surface.calls.filter((call) => call.messageId === id);
            for (let index = 1; index < calls.length; index += 1) {
              if (calls[index]!.options?.final !== true) expect(calls[index]!.startedAt - calls[index - 1]!.startedAt).toBeGreaterThanOrEqual(run.minEditIntervalMs);
            }
          }

          // The final texts are the whole body plus the tail, split and rejoinable; no text is lost.
          const texts = surface.texts();
          while (plan.firstAttempt !== undefined && texts.length > 1 && texts.at(-1) === SUPERSEDED_TEXT) texts.pop();
          const body = plan.body.trimEnd();
          const tail = expectedTail(run.maxChars, toolsFor(plan.tools, 'done'), footerLine({ outcome: plan.outcome }));
          const last = texts.pop() ?? '';
          let lastPiece: string;
          if (body === '' && tail === '') {
            expect(last).toBe(NO_ANSWER_TEXT);
            lastPiece = '';
          } else if (tail === '') {
            lastPiece = last;
          } else {
            expect(last === tail || last.endsWith(`\n\n${tail}`)).toBe(true);
            lastPiece = last === tail ? '' : last.slice(0, -(tail.length + 2));
          }
          expect(rejoin([...texts, lastPiece].filter((piece, index, all) => piece !== '' || index < all.length - 1 || all.length === 1), body)).toBe(body);

          // Finished messages say so; only the last one carries the finish buttons.
          for (const [index, id] of surface.created.entries()) {
            const finalWrite = surface.calls.filter((call) => call.messageId === id && call.result === 'ok').at(-1);
            expect(finalWrite?.options?.final).toBe(true);
            const isLast = index === texts.length;
            expect(finalWrite?.options?.controls).toEqual(isLast ? { kind: 'feedback', jobId: finalWrite?.options?.controls?.kind === 'feedback' ? finalWrite.options.controls.jobId : '' } : { kind: 'none' });
          }

          // Without a retry, a message marked final never changes its text again.
          if (plan.firstAttempt === undefined) {
            for (const id of surface.created) {
              const calls = surface.calls.filter((call) => call.messageId === id || (call.kind === 'create' && call.messageId === id));
              const firstFinal = calls.findIndex((call) => call.options?.final);
              if (firstFinal >= 0) expect(new Set(calls.slice(firstFinal).map((call) => call.text)).size).toBe(1);
            }
          }
        }

        // The channel's budget holds across every answer in it.
        if (run.budget) expect(busiestWindow(channelLog, run.budget.windowMs)).toBeLessThanOrEqual(run.budget.editsPerWindow);
        // Nothing keeps running once every answer is done.
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
