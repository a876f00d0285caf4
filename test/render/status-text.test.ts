import { describe, expect, it } from 'vitest';
import { footerLine, formatDuration, noticeLine, toolStatusBlock, toolStatusLine } from '../../src/render/status-text.ts';
import type { ToolStatus } from '../../src/render/surface.ts';

const call = (overrides: Partial<ToolStatus>): ToolStatus => ({ id: '1', name: 'web_search', summary: 'ofox pricing', state: 'running', ...overrides });

describe('status lines', () => {
  it('show each tool call with its arguments and how it is going', () => {
    expect(toolStatusLine(call({}))).toBe('⏳ **web_search** `ofox pricing` — running…');
    expect(toolStatusLine(call({ state: 'done', durationMs: 1_234 }))).toBe('✅ **web_search** `ofox pricing` — done in 1.2 s');
    expect(toolStatusLine(call({ state: 'done', durationMs: 340 }))).toBe('✅ **web_search** `ofox pricing` — done in 340 ms');
    expect(toolStatusLine(call({ state: 'failed', error: 'timed out\nafter 30 s' }))).toBe('❌ **web_search** `ofox pricing` — failed: timed out after 30 s');
    expect(toolStatusLine(call({ state: 'awaiting-approval', summary: '' }))).toBe('✋ **web_search** — waiting for approval');
  });

  it('keep arguments on one line and unable to open a code block', () => {
    const line = toolStatusLine(call({ summary: '```\nrm -rf /\n```' + 'x'.repeat(200) }));
    expect(line).not.toContain('\n');
    expect(line.match(/`/g)?.length).toBe(2);
    expect(line.length).toBeLessThan(140);
  });

  it('fold older calls into a count when there are too many to show', () => {
    const statuses = Array.from({ length: 30 }, (_, index) => call({ id: String(index), summary: `query ${index}`, state: 'done', durationMs: 10 }));
    const block = toolStatusBlock(statuses, 300);
    expect(block.length).toBeLessThanOrEqual(300);
    expect(block.split('\n')[0]).toMatch(/^… \d+ earlier tool calls$/);
    expect(block).toContain('query 29');
  });

  it('say how the answer ended, briefly', () => {
    expect(footerLine({ outcome: 'complete' })).toBe('');
    expect(footerLine({ outcome: 'stopped' })).toBe('_⏹ stopped_');
    expect(footerLine({ outcome: 'error', reason: 'the model is overloaded' })).toBe('_⚠️ error: the model is overloaded_');
    expect(footerLine({ outcome: 'error' })).toBe('_⚠️ error: the answer could not be completed_');
    expect(footerLine({ outcome: 'complete', reason: 'the answer hit the output length limit' })).toBe('_ℹ️ the answer hit the output length limit_');
    expect(footerLine({ outcome: 'complete', retried: true })).toBe('_↻ regenerated after an interrupted attempt_');
    expect(footerLine({ outcome: 'stopped', retried: true })).toBe('_⏹ stopped · ↻ regenerated after an interrupted attempt_');
    expect(noticeLine("queued: waiting for the team's model budget…")).toBe("_queued: waiting for the team's model budget…_");
    expect(formatDuration(125_000)).toBe('2 min 5 s');
  });
});
