import { afterEach, describe, expect, it, vi } from 'vitest';
import { TerminalSurface, footerText } from '../../adapters/terminal/surface.ts';

const ESC = String.fromCharCode(27);
const plain = (screen: string) => screen.replace(new RegExp(`${ESC}\\[[0-9;?]*[A-Za-z]`, 'g'), '');
const ref = { id: '1', channelId: 'terminal' };

describe('the terminal surface', () => {
  afterEach(() => vi.useRealTimers());

  it('shows a spinner with the elapsed time until the first token, then only the answer', async () => {
    vi.useFakeTimers({ now: 0 });
    const writes: string[] = [];
    const surface = new TerminalSurface({ write: (chunk: string) => writes.push(chunk), isTTY: true, columns: 80 });
    surface.start();
    await surface.create('…');
    vi.advanceTimersByTime(1_500);
    expect(plain(writes.at(-1)!)).toBe('⠴ thinking… 1.5 s\n');
    await surface.edit(ref, '_queued: waiting for the team\'s model budget…_', {});
    expect(plain(writes.at(-1)!)).toContain('⠴ thinking… 1.5 s');
    vi.advanceTimersByTime(500);
    await surface.edit(ref, 'Hello', {});
    expect(surface.firstTokenMs).toBe(2_000);
    const count = writes.length;
    vi.advanceTimersByTime(1_000);
    expect(writes).toHaveLength(count);
    expect(plain(writes.at(-1)!)).toBe('Hello\n');
  });

  it('moves back over exactly the rows it drew, counting wrapped lines', async () => {
    const writes: string[] = [];
    const surface = new TerminalSurface({ write: (chunk: string) => writes.push(chunk), isTTY: true, columns: 40 });
    await surface.create('…');
    await surface.edit(ref, `${'word '.repeat(12)}\n\nsecond paragraph`, {});
    const rows = plain(writes.at(-1)!).trimEnd().split('\n').length;
    await surface.edit(ref, 'short', {});
    expect(writes.at(-1)!.startsWith(`${ESC}[${rows}F${ESC}[J`)).toBe(true);
  });

  it('says model, tokens, time to first token and total time in the footer', () => {
    expect(footerText({ model: 'anthropic/claude-sonnet-4', inputTokens: 1200, outputTokens: 340, firstTokenMs: 850, totalMs: 4_200 })).toBe('anthropic/claude-sonnet-4 · 1200 in / 340 out tokens · first token 850 ms · total 4.2 s');
  });
});
