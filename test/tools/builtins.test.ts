import { describe, expect, it } from 'vitest';
import { calculatorTool, currentTimeTool, evaluate, runTool, type ToolContext } from '../../src/tools/index.ts';

function context(extra: Partial<ToolContext> = {}): ToolContext {
  return { signal: new AbortController().signal, platform: 'test', workspaceId: 'W1', channelId: 'C1', userId: 'U1', ...extra };
}

describe('calculator', () => {
  it.each([
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['2 ^ 3 ^ 2', 512],
    ['-2 ^ 2', -4],
    ['2 ^ -1', 0.5],
    ['--3', 3],
    ['10 % 4', 2],
    ['7 / 2', 3.5],
    ['.5 + 1.25', 1.75],
    ['1_000 * 3', 3000],
    ['1e3 + 1', 1001],
    ['sqrt(16) + abs(-3)', 7],
    ['round(3.14159, 2)', 3.14],
    ['min(4, 2, 8) + max(1, 9)', 11],
    ['2 * pi', 2 * Math.PI],
    ['e ^ 1', Math.E],
    ['3 × 4 ÷ 2', 6],
    ['2 ** 10', 1024],
  ])('%s = %s', (expression, expected) => {
    expect(evaluate(expression)).toBeCloseTo(expected, 10);
  });

  it('shows results without binary noise', async () => {
    await expect(runTool(calculatorTool(), { expression: '0.1 + 0.2' }, context())).resolves.toMatchObject({ ok: true, output: '0.1 + 0.2 = 0.3' });
  });

  it.each([
    ['1 / 0', /division by zero/],
    ['5 % (2 - 2)', /modulo by zero/],
    ['2 +', /ends too early/],
    ['(1 + 2', /missing "\)"/],
    ['1 + 2)', /unexpected "\)"/],
    ['process.exit()', /unexpected character "\." at position 8/],
    ['foo(2)', /unknown name "foo".*functions: sqrt/],
    ['2; rm -rf /', /unexpected character ";"/],
    ['sqrt(-1)', /sqrt of a negative/],
    ['max()', /max takes at least 1 argument/],
    ['sqrt', /needs parentheses/],
    ['10 ^ 400', /not a finite number/],
    ['(-8) ^ 0.5', /not a real number/],
    ['   ', /empty/],
  ])('%s fails clearly', async (expression, message) => {
    const result = await runTool(calculatorTool(), { expression }, context());
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(message);
  });

  it('refuses absurd nesting instead of overflowing the stack', () => {
    expect(() => evaluate('('.repeat(5_000) + '1' + ')'.repeat(5_000))).toThrow(/nested too deeply/);
  });
});

describe('current_time', () => {
  const fixed = new Date('2026-03-15T12:34:56Z');
  const tool = currentTimeTool({ now: () => fixed });

  it('defaults to UTC', async () => {
    const result = await runTool(tool, {}, context());
    expect(result.output).toContain('Sunday, 2026-03-15 12:34:56');
    expect(result.output).toContain('time zone: UTC (UTC+00:00)');
  });

  it("uses the asker's time zone when the context knows it", async () => {
    const result = await runTool(tool, {}, context({ timeZone: 'Asia/Tokyo' }));
    expect(result.output).toContain('2026-03-15 21:34:56');
    expect(result.output).toContain('ISO 8601: 2026-03-15T21:34:56+09:00');
  });

  it('an explicit zone wins over the context', async () => {
    const result = await runTool(tool, { timeZone: 'America/New_York' }, context({ timeZone: 'Asia/Tokyo' }));
    expect(result.output).toContain('2026-03-15 08:34:56');
    expect(result.output).toContain('America/New_York (UTC-04:00)');
  });

  it('an unknown zone is a clear error', async () => {
    const result = await runTool(tool, { timeZone: 'Mars/Olympus_Mons' }, context());
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/unknown time zone "Mars\/Olympus_Mons"/);
  });
});
