import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NO_CONTROLS, WORKING_TEXT } from '../../src/render/answer-layout.ts';
import { LocalWritePacer, ProgressiveMessage, type MessageRef, type SurfaceLimits } from '../../src/render/index.ts';
import { rejoin } from './helpers/fences.ts';
import { ManualClock } from './helpers/manual-clock.ts';
import { RecordingSurface } from './helpers/recording-surface.ts';

/**
 * `SurfaceLimits.maxMessageAgeMs`: a message the renderer streams into is closed at that age and
 * the answer goes on in a new message, in virtual time.
 */

const MAX_AGE_MS = 60_000;
const LIMITS: SurfaceLimits = { maxChars: 2_000, minEditIntervalMs: 1_000, maxMessageAgeMs: MAX_AGE_MS };
/** The final write starts two edit intervals plus a tenth of the age ahead, so it lands in time. */
const CLOSE_AT = MAX_AGE_MS - 2 * 1_000 - MAX_AGE_MS / 10;
const STOP = { kind: 'stop', jobId: 'job-1' } as const;
const FEEDBACK = { kind: 'feedback', jobId: 'job-1' } as const;

/** A surface that can tell how old the messages handed to the renderer are. */
class AgingSurface extends RecordingSurface {
  readonly ages = new Map<string, number>();
  messageAgeMs(ref: MessageRef): number | undefined {
    return this.ages.get(ref.id);
  }
}

function setup(options: { placeholderAgeMs?: number } = {}) {
  const clock = new ManualClock();
  const surface = new AgingSurface({ clock, limits: LIMITS });
  const placeholder = surface.placeholder();
  if (options.placeholderAgeMs !== undefined) surface.ages.set(placeholder.id, options.placeholderAgeMs);
  const created: Array<{ ref: MessageRef; index: number }> = [];
  const message = new ProgressiveMessage({
    surface,
    pacer: new LocalWritePacer({ clock }),
    clock,
    placeholder,
    controls: STOP,
    onMessageCreated: (ref, index) => {
      created.push({ ref, index });
    },
  });
  return { clock, surface, message, placeholder, created };
}

/** Feeds the body a word every `everyMs`, for `words` words; returns the text fed. */
async function stream(clock: ManualClock, message: ProgressiveMessage, words: number, everyMs: number, from = ''): Promise<string> {
  let body = from;
  for (let index = 0; index < words; index += 1) {
    body += `${body ? ' ' : ''}w${index}`;
    message.setBody(body);
    await clock.advance(everyMs);
  }
  return body;
}

describe('ProgressiveMessage: message age limit', () => {
  it('closes the message it streams into before the age limit with the text it holds, and goes on in a new one', async () => {
    const { clock, surface, message, placeholder, created } = setup();
    // 10 s between words: w0..w5 arrive before 52 s, when the age timer fires; w6 comes at 60 s.
    const body = await stream(clock, message, 12, 10_000);
    await clock.run(message.finish({ outcome: 'complete', controls: FEEDBACK }));

    const first = surface.calls.filter((call) => call.messageId === placeholder.id);
    const closing = first.find((call) => call.options?.final === true)!;
    // Closed ahead of the limit exactly (the age timer), with every word that had arrived, and no buttons.
    expect(closing.startedAt).toBe(CLOSE_AT);
    expect(closing.text).toBe('w0 w1 w2 w3 w4 w5');
    expect(closing.options).toEqual({ controls: NO_CONTROLS, final: true });
    // Text already shown stays where it is: the closing write only adds to what the message showed.
    const before = first.filter((call) => call.startedAt < CLOSE_AT).at(-1)!;
    expect(closing.text.startsWith(before.text)).toBe(true);
    // Nothing more is written to it once closed.
    expect(first.filter((call) => call.startedAt > CLOSE_AT)).toEqual([]);

    // The rest went to one new message, created with its first text (never an empty "…").
    expect(created.map((entry) => entry.index)).toEqual([1]);
    const second = surface.calls.filter((call) => call.kind === 'create');
    expect(second).toHaveLength(1);
    expect(second[0]!.text).toBe(' w6');
    expect(surface.calls.some((call) => call.text === WORKING_TEXT)).toBe(false);
    // Nothing lost or repeated; buttons only on the last message.
    expect(surface.texts().join('')).toBe(body);
    expect(surface.shown.get(placeholder.id)!.options?.controls).toEqual(NO_CONTROLS);
    expect(surface.shown.get(created[0]!.ref.id)!.options).toEqual({ controls: FEEDBACK, final: true });
    expect(clock.pendingTimers).toBe(0);
  });

  it('closes an idle message before the limit without waiting for more text, and starts the next only when text comes', async () => {
    const { clock, surface, message, placeholder } = setup();
    message.setBody('Thinking about it');
    await clock.advance(CLOSE_AT - 1);
    expect(surface.calls.map((call) => [call.startedAt, call.options?.final])).toEqual([[0, false]]);
    await clock.advance(1);
    expect(surface.calls.map((call) => [call.startedAt, call.text, call.options?.final])).toEqual([
      [0, 'Thinking about it', false],
      [CLOSE_AT, 'Thinking about it', true],
    ]);
    // Hours later, still no new message and no timer left running.
    await clock.advance(3_600_000);
    expect(surface.calls).toHaveLength(2);
    expect(clock.pendingTimers).toBe(0);

    message.setBody('Thinking about it. Done.');
    await clock.run(message.finish({ outcome: 'complete', controls: FEEDBACK }));
    expect(surface.texts()).toEqual(['Thinking about it', '. Done.']);
    expect(surface.shown.get(placeholder.id)!.options?.final).toBe(true);
  });

  it('puts the footer and buttons under a closed message when the answer ends right there', async () => {
    const { clock, surface, message, placeholder } = setup();
    message.setBody('All of it');
    await clock.advance(MAX_AGE_MS);
    expect(surface.shown.get(placeholder.id)).toEqual({ text: 'All of it', options: { controls: NO_CONTROLS, final: true } });
    const refs = await clock.run(message.finish({ outcome: 'stopped', controls: FEEDBACK }));
    expect(refs).toEqual([placeholder]);
    expect(surface.created).toEqual([placeholder.id]);
    expect(surface.shown.get(placeholder.id)).toEqual({ text: 'All of it\n\n_⏹ stopped_', options: { controls: FEEDBACK, final: true } });
  });

  it('a tool still running when the message closes shows in the next message, which the text then continues', async () => {
    const clock = new ManualClock();
    const surface = new AgingSurface({ clock, limits: { ...LIMITS, nativeToolStatus: true } });
    const message = new ProgressiveMessage({ surface, pacer: new LocalWritePacer({ clock }), clock, controls: STOP });
    const running = { id: 'call-1', name: 'fetch_url', summary: 'https://example.com', state: 'running' as const };
    message.setBody('Let me look that up.');
    message.setTools([running]);
    await clock.advance(CLOSE_AT);
    // Closed with its text; the running tool moves to a new message that has no text yet.
    const [first, second] = surface.created;
    expect(surface.shown.get(first!)).toEqual({ text: 'Let me look that up.', options: { controls: NO_CONTROLS, final: true } });
    expect(surface.shown.get(second!)).toEqual({ text: WORKING_TEXT, options: { controls: STOP, final: false, tools: [running] } });
    message.setTools([{ ...running, state: 'done', durationMs: 90_000 }]);
    message.setBody('Let me look that up. Found it.');
    await clock.run(message.finish({ outcome: 'complete', controls: FEEDBACK }));
    expect(surface.texts()).toEqual(['Let me look that up.', ' Found it.']);
    expect(surface.created).toHaveLength(2);
  });

  it('with a limit too short for the usual lead, closes the message at half its age', async () => {
    const clock = new ManualClock();
    const surface = new AgingSurface({ clock, limits: { ...LIMITS, maxMessageAgeMs: 3_000 } });
    const message = new ProgressiveMessage({ surface, pacer: new LocalWritePacer({ clock }), clock, controls: STOP });
    message.setBody('Short-lived');
    await clock.advance(10_000);
    // Two 1 s intervals plus 0.3 s would leave 0.7 s; half the age is the most taken.
    expect(surface.calls.map((call) => [call.startedAt, call.options?.final])).toEqual([
      [0, false],
      [1_500, true],
    ]);
  });

  it('counts a handed-over message from when the platform created it', async () => {
    const { clock, surface, message, placeholder } = setup({ placeholderAgeMs: 45_000 });
    await stream(clock, message, 3, 5_000);
    await clock.advance(5_000);
    const closing = surface.calls.find((call) => call.messageId === placeholder.id && call.options?.final);
    // 45 s old when handed over: closed at 52 - 45 = 7 s, before the third word (10 s).
    expect(closing).toMatchObject({ startedAt: CLOSE_AT - 45_000, text: 'w0 w1' });
  });

  it('does not cut a message that was already too old when handed over into fragments', async () => {
    // An earlier attempt's message, past the limit: the surface writes it its own way until it is full.
    const { clock, surface, message, placeholder } = setup({ placeholderAgeMs: 2 * MAX_AGE_MS });
    const body = await stream(clock, message, 30, 5_000);
    await clock.run(message.finish({ outcome: 'complete', controls: FEEDBACK }));
    expect(surface.created).toEqual([placeholder.id]);
    expect(surface.texts()).toEqual([body]);
    expect(surface.calls.filter((call) => call.options?.final)).toHaveLength(1);
  });

  it('a message closed for age and a message full by length both keep their text', async () => {
    const clock = new ManualClock();
    const surface = new AgingSurface({ clock, limits: { ...LIMITS, maxChars: 100 } });
    const message = new ProgressiveMessage({ surface, pacer: new LocalWritePacer({ clock }), clock, controls: STOP });
    let body = '';
    for (let index = 0; index < 40; index += 1) {
      body += `word${String(index).padStart(2, '0')} `;
      message.setBody(body);
      await clock.advance(4_000);
    }
    await clock.run(message.finish({ outcome: 'complete', controls: FEEDBACK }));
    const texts = surface.texts();
    expect(texts.join('').trimEnd()).toBe(body.trimEnd());
    for (const text of texts) expect(text.length).toBeLessThanOrEqual(100);
    // Every message but the last is final and without buttons; each was created once.
    expect(new Set(surface.created).size).toBe(surface.created.length);
    for (const id of surface.created.slice(0, -1)) expect(surface.shown.get(id)!.options).toEqual({ controls: NO_CONTROLS, final: true });
    // No message took a live write after its age limit.
    const createdAt = new Map(surface.calls.filter((call) => call.kind === 'create').map((call) => [call.messageId, call.startedAt]));
    for (const call of surface.calls) {
      if (call.kind === 'edit' && call.options?.final !== true) expect(call.startedAt - createdAt.get(call.messageId)!).toBeLessThan(MAX_AGE_MS);
    }
  });
});

// Fences open at the start of a line, as models write them: a message closed mid-line cannot know
// whether the text after it continues the line with "```", which at the top of the next message
// would open a code block.
const token = fc.oneof(
  { weight: 8, arbitrary: fc.constantFrom('answer', 'streams', 'the', 'Redis', 'café', '🦊', 'x'.repeat(40)) },
  { weight: 4, arbitrary: fc.constantFrom(' ', ' ', '\n', '\n\n') },
  { weight: 1, arbitrary: fc.constantFrom('\n```ts\n', '\n```\n', '\n~~~\n') },
);

const ageScenario = fc.record({
  // Some text to show (an empty answer ends as "_(no answer)_", which the other tests cover).
  body: fc.array(token, { minLength: 1, maxLength: 300, size: 'large' }).map((tokens) => tokens.join('')).filter((body) => body.trim() !== ''),
  chunks: fc.array(fc.integer({ min: 1, max: 80 }), { minLength: 1, maxLength: 60 }),
  gapsMs: fc.array(fc.integer({ min: 0, max: 25_000 }), { minLength: 1, maxLength: 10 }),
  maxChars: fc.integer({ min: 120, max: 800 }),
  maxAgeMs: fc.integer({ min: 20_000, max: 120_000 }),
  placeholderAgeMs: fc.option(fc.integer({ min: 0, max: 150_000 }), { nil: undefined }),
  latencyMs: fc.integer({ min: 0, max: 1_500 }),
  // 0: no 429s; else every n-th call is refused for 2 s.
  rateLimitEvery: fc.constantFrom(0, 3, 5, 7),
});

describe('ProgressiveMessage with an age limit under random timings', () => {
  it('loses and repeats nothing, and never streams into a message past its age', async () => {
    await fc.assert(
      fc.asyncProperty(ageScenario, async (run) => {
        const clock = new ManualClock();
        let calls = 0;
        const surface = new AgingSurface({
          clock,
          limits: { maxChars: run.maxChars, minEditIntervalMs: 1_000, maxMessageAgeMs: run.maxAgeMs },
          latency: () => run.latencyMs,
          failure: () => (run.rateLimitEvery > 0 && ++calls % run.rateLimitEvery === 0 ? { kind: 'rate-limited', retryAfterMs: 2_000 } : undefined),
        });
        const placeholder = run.placeholderAgeMs === undefined ? undefined : surface.placeholder();
        if (placeholder) surface.ages.set(placeholder.id, run.placeholderAgeMs!);
        const message = new ProgressiveMessage({ surface, pacer: new LocalWritePacer({ clock }), clock, placeholder, controls: STOP, finalRateLimitRetries: 1_000_000 });
        const drive = (async () => {
          let position = 0;
          for (const [step, chunk] of run.chunks.entries()) {
            position += chunk;
            message.setBody(run.body.slice(0, position));
            await new Promise<void>((resolve) => clock.setTimeout(resolve, run.gapsMs[step % run.gapsMs.length]!));
          }
          message.setBody(run.body);
          return message.finish({ outcome: 'complete', controls: FEEDBACK });
        })();
        const refs = await clock.run(drive);
        expect(refs.map((ref) => ref.id)).toEqual(surface.created);

        // Nothing lost or repeated: the messages rejoin into the answer.
        const body = run.body.trimEnd();
        expect(rejoin(surface.texts(), body)).toBe(body);
        for (const text of surface.texts()) expect(text.length).toBeLessThanOrEqual(run.maxChars);

        // No live write at or after its age limit to a message the renderer began streaming into
        // before its closing time (one handed over already past it is the surface's to rewrite).
        const bornAt = new Map<string, number>();
        if (placeholder) bornAt.set(placeholder.id, -run.placeholderAgeMs!);
        for (const call of surface.calls) if (call.kind === 'create' && call.result === 'ok') bornAt.set(call.messageId!, call.startedAt);
        const closeAfter = run.maxAgeMs - 2 * 1_000 - run.maxAgeMs / 10;
        const firstWrite = (id: string) => surface.calls.find((call) => call.messageId === id && call.result === 'ok')!.startedAt;
        for (const call of surface.calls.filter((landed) => landed.result === 'ok')) {
          const born = bornAt.get(call.messageId!)!;
          if (call.options?.final === true || firstWrite(call.messageId!) - born >= closeAfter) continue;
          expect(call.startedAt - born).toBeLessThan(run.maxAgeMs);
        }

        // Every message ends final; only the last carries the buttons.
        for (const [index, id] of surface.created.entries()) {
          const options = surface.shown.get(id)!.options;
          expect(options?.final).toBe(true);
          expect(options?.controls).toEqual(index === surface.created.length - 1 ? FEEDBACK : NO_CONTROLS);
        }
        expect(clock.pendingTimers).toBe(0);
      }),
      { numRuns: 150 },
    );
  });
});
