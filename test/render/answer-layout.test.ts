import { describe, expect, it } from 'vitest';
import {
  NO_ANSWER_TEXT,
  SUPERSEDED_TEXT,
  WORKING_TEXT,
  answerTail,
  firstPendingWrite,
  layoutAnswer,
  type LayoutInput,
  type WantedMessage,
} from '../../src/render/answer-layout.ts';
import type { ToolStatus } from '../../src/render/surface.ts';

const STOP = { kind: 'stop', jobId: 'job-1' } as const;
const FEEDBACK = { kind: 'feedback', jobId: 'job-1' } as const;

function layout(input: Partial<LayoutInput>): WantedMessage[] {
  return layoutAnswer({ pieces: [''], tail: '', controls: STOP, final: false, nativeTools: undefined, existingMessages: 0, ...input });
}

const running: ToolStatus = { id: 't1', name: 'web_search', summary: 'ofox', state: 'running' };

describe('answerTail', () => {
  it('lists tool lines and the notice while streaming, the footer alone once finishing', () => {
    expect(answerTail({ maxChars: 2_000, nativeToolStatus: false, tools: [running], notice: 'queued', footer: undefined })).toBe(
      '⏳ **web_search** `ofox` — running…\n_queued_',
    );
    expect(answerTail({ maxChars: 2_000, nativeToolStatus: false, tools: [], notice: 'queued', footer: '_stopped_' })).toBe('_stopped_');
  });

  it('leaves tool lines to a platform that shows them natively', () => {
    expect(answerTail({ maxChars: 2_000, nativeToolStatus: true, tools: [running], notice: undefined, footer: undefined })).toBe('');
  });

  it('never takes more than half a message', () => {
    const tools = Array.from({ length: 50 }, (_, index): ToolStatus => ({ ...running, id: `t${index}` }));
    expect(answerTail({ maxChars: 200, nativeToolStatus: false, tools, notice: undefined, footer: undefined }).length).toBeLessThanOrEqual(98);
  });
});

describe('layoutAnswer', () => {
  it('puts the tail and the buttons on the last message only; full messages are final and bare', () => {
    const wanted = layout({ pieces: ['one', 'two'], tail: '_done_', controls: FEEDBACK, final: true });
    expect(wanted.map((message) => message.text)).toEqual(['one', 'two\n\n_done_']);
    expect(wanted[0]?.options).toEqual({ controls: { kind: 'none' }, final: true });
    expect(wanted[1]?.options).toEqual({ controls: FEEDBACK, final: true });
  });

  it('shows a working mark while streaming nothing, and says so when an answer ends empty', () => {
    expect(layout({ pieces: ['  '] })[0]?.text).toBe(WORKING_TEXT);
    expect(layout({ pieces: [''], final: true })[0]?.text).toBe(NO_ANSWER_TEXT);
  });

  it('marks messages a shorter retry no longer needs as superseded', () => {
    expect(layout({ pieces: ['short'], existingMessages: 3 }).map((message) => message.text)).toEqual(['short', SUPERSEDED_TEXT, SUPERSEDED_TEXT]);
  });

  it('hands native tool statuses over as options of the last message', () => {
    const wanted = layout({ pieces: ['text'], nativeTools: [running] });
    expect(wanted[0]?.options.tools).toEqual([running]);
    expect(wanted[0]?.toolsKey).toBe(JSON.stringify([running]));
  });
});

describe('firstPendingWrite', () => {
  it('skips messages that already show their final text, so the end of a long answer rewrites only the last', () => {
    const streaming = layout({ pieces: ['part one', 'part two', 'part thr'] });
    const finished = layout({ pieces: ['part one', 'part two', 'part three'], controls: FEEDBACK, final: true });
    expect(firstPendingWrite(finished, streaming)).toBe(2);
  });

  it('is undefined when everything shows what is wanted, and finds a message never written', () => {
    const wanted = layout({ pieces: ['a', 'b'] });
    expect(firstPendingWrite(wanted, wanted)).toBeUndefined();
    expect(firstPendingWrite(wanted, [wanted[0]])).toBe(1);
  });

  it('rewrites a message whose buttons or finality changed though its text did not', () => {
    const streaming = layout({ pieces: ['same'] });
    expect(firstPendingWrite(layout({ pieces: ['same'], controls: FEEDBACK }), streaming)).toBe(0);
    expect(firstPendingWrite(layout({ pieces: ['same'], final: true }), streaming)).toBe(0);
  });
});
