import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineTool, runTool, runToolCall, ToolCatalog, toolSpec, type Tool, type ToolContext } from '../../src/tools/index.ts';

function context(signal = new AbortController().signal): ToolContext {
  return { signal, platform: 'test', workspaceId: 'W1', channelId: 'C1', userId: 'U1' };
}

const greet = defineTool({
  name: 'greet',
  description: 'Greets someone.',
  input: z.object({ name: z.string().min(1) }),
  run: async ({ name }) => `hello ${name}`,
});

describe('runTool', () => {
  it('returns the output and how long it took', async () => {
    const result = await runTool(greet, { name: 'Ada' }, context());
    expect(result).toMatchObject({ ok: true, status: 'ok', output: 'hello Ada' });
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
  });

  it('passes on what a tool says it produced, with its output capped like any other', async () => {
    const draw = defineTool({ name: 'draw', description: '', input: z.object({}), policy: { outputCapChars: 60 }, run: async () => ({ output: 'x'.repeat(100), produced: 'diagram.png' }) });
    const result = await runTool(draw, {}, context());
    expect(result).toMatchObject({ ok: true, status: 'ok', produced: 'diagram.png' });
    expect(result.output).toHaveLength(60);
    expect((await runTool(greet, { name: 'Ada' }, context())).produced).toBeUndefined();
  });

  it('invalid arguments give a clear error result without running the tool', async () => {
    let ran = false;
    const tool = defineTool({ name: 't', description: '', input: z.object({ n: z.number() }), run: async () => String((ran = true)) });
    const result = await runTool(tool, { n: 'seven' }, context());
    expect(result).toMatchObject({ ok: false, status: 'invalid-input' });
    expect(result.output).toMatch(/Invalid arguments for t:.*n/s);
    expect(ran).toBe(false);
  });

  it('an unknown tool name lists what is available', async () => {
    const result = await runToolCall([greet], { name: 'nope', input: {} }, context());
    expect(result).toMatchObject({ ok: false, status: 'unknown-tool', output: 'unknown tool nope; available: greet' });
  });

  it('a tool that throws becomes a failure result', async () => {
    const tool = defineTool({ name: 'boom', description: '', input: z.object({}), run: async () => { throw new Error('kaput'); } });
    await expect(runTool(tool, {}, context())).resolves.toMatchObject({ ok: false, status: 'failed', output: 'boom failed: kaput' });
  });

  it('times out a tool that ignores its signal, and aborts the signal it was given', async () => {
    let seen: AbortSignal | undefined;
    const tool = defineTool({
      name: 'stuck',
      description: '',
      input: z.object({}),
      policy: { timeoutMs: 50 },
      run: (_input, { signal }) => {
        seen = signal;
        return new Promise(() => {});
      },
    });
    const result = await runTool(tool, {}, context());
    expect(result).toMatchObject({ ok: false, status: 'timed-out', output: 'stuck timed out after 50 ms.' });
    expect(seen?.aborted).toBe(true);
  });

  it('cancelling the job stops a running tool', async () => {
    const controller = new AbortController();
    const tool = defineTool({ name: 'long', description: '', input: z.object({}), run: () => new Promise(() => {}) });
    const running = runTool(tool, {}, context(controller.signal));
    setTimeout(() => controller.abort(), 20);
    await expect(running).resolves.toMatchObject({ ok: false, status: 'cancelled' });
  });

  it('cuts long output at the cap with a marker', async () => {
    const tool = defineTool({ name: 'chatty', description: '', input: z.object({}), policy: { outputCapChars: 200 }, run: async () => 'a'.repeat(1_000) });
    const result = await runTool(tool, {}, context());
    expect(result.ok).toBe(true);
    expect(result.output.length).toBeLessThanOrEqual(200);
    expect(result.output).toMatch(/…\[output truncated: showing \d+ of 1000 characters\]$/);
  });

  it('asks for approval when the policy requires it and refuses when denied or unavailable', async () => {
    const guarded: Tool = { ...greet, policy: { ...greet.policy, requiresApproval: true } };
    await expect(runTool(guarded, { name: 'x' }, context())).resolves.toMatchObject({ ok: false, status: 'denied' });
    await expect(runTool(guarded, { name: 'x' }, context(), { approve: async () => 'denied' })).resolves.toMatchObject({
      ok: false,
      output: expect.stringMatching(/denied/),
    });
    await expect(runTool(guarded, { name: 'x' }, context(), { approve: async () => 'approved' })).resolves.toMatchObject({ ok: true, output: 'hello x' });
  });
});

describe('ToolCatalog', () => {
  const off = defineTool({ name: 'off_by_default', description: '', input: z.object({}), policy: { enabledByDefault: false }, run: async () => '' });
  const dynamic: Tool[] = [];

  it('lists every source, gets by name, and lets earlier sources win a clash', () => {
    const impostor = { ...greet, description: 'impostor' };
    const catalog = new ToolCatalog({ sources: [[greet, off], { tools: () => [impostor, ...dynamic] }] });
    expect(catalog.list().map((tool) => tool.name)).toEqual(['greet', 'off_by_default']);
    expect(catalog.get('greet')?.description).toBe('Greets someone.');
    expect(catalog.get('missing')).toBeUndefined();
  });

  it('sees tools a source adds later', () => {
    const extra = defineTool({ name: 'late', description: '', input: z.object({}), run: async () => '' });
    const list: Tool[] = [];
    const catalog = new ToolCatalog({ sources: [{ tools: () => list }] });
    expect(catalog.get('late')).toBeUndefined();
    list.push(extra);
    expect(catalog.get('late')).toBeDefined();
  });

  it('enables tools by policy unless the settings say otherwise', () => {
    const catalog = new ToolCatalog({ sources: [[greet, off]] });
    expect(catalog.enabledFor({ tools: {} }).map((tool) => tool.name)).toEqual(['greet']);
    expect(catalog.enabledFor({ tools: { greet: false, off_by_default: true } }).map((tool) => tool.name)).toEqual(['off_by_default']);
  });

  it('applies workspace policy overrides from the config file', async () => {
    const catalog = new ToolCatalog({ sources: [[greet, off]], overrides: { greet: { enabledByDefault: false, outputCapChars: 300 }, off_by_default: { enabledByDefault: true } } });
    expect(catalog.get('greet')?.policy).toMatchObject({ enabledByDefault: false, outputCapChars: 300, timeoutMs: 30_000 });
    expect(catalog.enabledFor({ tools: {} }).map((tool) => tool.name)).toEqual(['off_by_default']);
    const wrapped = catalog.get('greet');
    expect(wrapped && (await runTool(wrapped, { name: 'Bo' }, context())).output).toBe('hello Bo');
    expect(catalog.get('greet')).toBe(wrapped);
  });

  it('tool specs carry a JSON schema without $schema', () => {
    expect(toolSpec(greet)).toEqual({
      name: 'greet',
      description: 'Greets someone.',
      inputSchema: expect.objectContaining({ type: 'object', required: ['name'] }),
    });
    expect(greet.inputSchema.$schema).toBeUndefined();
  });
});
