import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { McpToolSource, runTool, ToolCatalog, type McpServerConfig, type Tool, type ToolContext } from '../../src/tools/index.ts';
import { startFakeHttpMcpServer, type FakeHttpMcpServer } from '../fakes/mcp/http-server.ts';

const STDIO_SERVER = resolve(import.meta.dirname, '../fakes/mcp/stdio-server.ts');

type StdioConfig = Extract<McpServerConfig, { transport: 'stdio' }>;

function stdioConfig(name: string, env: Record<string, string> = {}): StdioConfig {
  return {
    name,
    transport: 'stdio',
    enabled: true,
    policy: {},
    command: process.execPath,
    args: ['--experimental-strip-types', '--no-warnings', STDIO_SERVER],
    env,
  };
}

function context(): ToolContext {
  return { signal: new AbortController().signal, platform: 'test', workspaceId: 'W1', channelId: 'C1', userId: 'U1' };
}

function tool(source: McpToolSource, name: string): Tool {
  const found = source.tools().find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no tool ${name}; have ${source.tools().map((t) => t.name).join(', ')}`);
  return found;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function eventually(check: () => boolean | Promise<boolean>, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe('MCP servers over stdio', () => {
  const sources: McpToolSource[] = [];
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((source) => source.close()));
  });

  async function started(config: McpServerConfig): Promise<McpToolSource> {
    const source = new McpToolSource([config], { reconnectInitialDelayMs: 50 });
    sources.push(source);
    await source.start();
    return source;
  }

  it('lists the server tools namespaced as server__tool, with sanitized names', async () => {
    const source = await started(stdioConfig('fake'));
    const names = source.tools().map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['fake__echo', 'fake__add', 'fake__slow', 'fake__crash', 'fake__weird_name_with_spaces']));
    for (const name of names) expect(name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(tool(source, 'fake__add').inputSchema).toMatchObject({ type: 'object', required: ['a', 'b'] });
    expect(tool(source, 'fake__add').source).toBe('mcp:fake');
  });

  it('calls a tool with arguments and returns its text', async () => {
    const source = await started(stdioConfig('fake'));
    await expect(runTool(tool(source, 'fake__add'), { a: 2, b: 40 }, context())).resolves.toMatchObject({ ok: true, output: '42' });
    await expect(runTool(tool(source, 'fake__weird_name_with_spaces'), {}, context())).resolves.toMatchObject({ ok: true, output: 'sanitized ok' });
  });

  it('rejects arguments that do not match the tool schema before calling the server', async () => {
    const source = await started(stdioConfig('fake'));
    const result = await runTool(tool(source, 'fake__add'), { a: 'two' }, context());
    expect(result).toMatchObject({ ok: false, status: 'invalid-input' });
    expect(result.output).toContain('fake__add');
  });

  it('flattens images and resources to text and treats isError results as failures', async () => {
    const source = await started(stdioConfig('fake'));
    await expect(runTool(tool(source, 'fake__mixed'), {}, context())).resolves.toMatchObject({
      ok: true,
      output: 'a picture:\n[image]\nresource text',
    });
    const failed = await runTool(tool(source, 'fake__fail'), {}, context());
    expect(failed).toMatchObject({ ok: false, status: 'failed' });
    expect(failed.output).toContain('the fake tool failed on purpose');
  });

  it('a server that crashes mid-call gives an error result and is reconnected for the next call', async () => {
    const startLog = join(mkdtempSync(join(tmpdir(), 'ofox-mcp-')), 'starts.log');
    const source = await started(stdioConfig('fake', { FAKE_MCP_START_LOG: startLog }));

    const crashed = await runTool(tool(source, 'fake__crash'), {}, context());
    expect(crashed.ok).toBe(false);
    expect(crashed.output).toMatch(/stopped during the call.*reconnecting/);

    const next = await runTool(tool(source, 'fake__echo'), { text: 'still here' }, context());
    expect(next).toMatchObject({ ok: true, output: 'echo: still here' });
    expect(readFileSync(startLog, 'utf8').trim().split('\n')).toHaveLength(2);
    expect(source.status()[0]).toMatchObject({ server: 'fake', state: 'ready' });
  });

  it('close() ends the stdio server process', async () => {
    const startLog = join(mkdtempSync(join(tmpdir(), 'ofox-mcp-')), 'starts.log');
    const source = await started(stdioConfig('fake', { FAKE_MCP_START_LOG: startLog }));
    const pid = Number(readFileSync(startLog, 'utf8').trim());
    expect(isAlive(pid)).toBe(true);
    await source.close();
    await eventually(() => !isAlive(pid));
  });

  it('refreshes the cached tool list when the server sends tools/list_changed', async () => {
    const source = await started(stdioConfig('fake'));
    expect(source.tools().map((t) => t.name)).not.toContain('fake__brand_new');
    await expect(runTool(tool(source, 'fake__add_tool'), { name: 'brand_new' }, context())).resolves.toMatchObject({ ok: true });
    await eventually(() => source.tools().some((t) => t.name === 'fake__brand_new'));
    await expect(runTool(tool(source, 'fake__brand_new'), {}, context())).resolves.toMatchObject({ ok: true, output: 'brand_new works' });
  });

  it('a slow MCP call is stopped by the tool timeout, and the connection stays usable', async () => {
    const source = await started({ ...stdioConfig('fake'), policy: { timeoutMs: 200 } });
    const slow = await runTool(tool(source, 'fake__slow'), { ms: 5_000 }, context());
    expect(slow).toMatchObject({ ok: false, status: 'timed-out' });
    await expect(runTool(tool(source, 'fake__echo'), { text: 'after' }, context())).resolves.toMatchObject({ ok: true });
  });

  it('a server that cannot start does not fail start(), and its tools are simply absent', async () => {
    const source = new McpToolSource([{ ...stdioConfig('broken'), command: '/nonexistent/mcp-server' }], { reconnectInitialDelayMs: 10_000 });
    sources.push(source);
    await source.start();
    expect(source.tools()).toEqual([]);
    expect(source.status()[0]).toMatchObject({ server: 'broken', state: 'waiting' });
    expect(source.status()[0]?.lastError).toMatch(/could not connect/);
  });

  it('server-level policy from the config applies to each of its tools, and the catalog adds per-tool overrides', async () => {
    const source = await started({ ...stdioConfig('fake'), policy: { requiresApproval: true, enabledByDefault: false } });
    const catalog = new ToolCatalog({ sources: [source], overrides: { fake__echo: { requiresApproval: false } } });
    expect(catalog.get('fake__add')?.policy).toMatchObject({ requiresApproval: true, enabledByDefault: false });
    expect(catalog.get('fake__echo')?.policy).toMatchObject({ requiresApproval: false, enabledByDefault: false });
  });
});

describe('MCP servers over Streamable HTTP', () => {
  let server: FakeHttpMcpServer;
  const sources: McpToolSource[] = [];
  beforeAll(async () => {
    server = await startFakeHttpMcpServer({ token: 's3cret' });
  });
  afterEach(async () => {
    await Promise.all(sources.splice(0).map((source) => source.close()));
  });
  afterAll(async () => {
    await server.close();
  });

  function httpConfig(headers: Record<string, string>): McpServerConfig {
    return { name: 'remote', transport: 'http', enabled: true, policy: {}, url: server.url, headers };
  }

  it('lists and calls tools with the configured auth header', async () => {
    const source = new McpToolSource([httpConfig({ Authorization: 'Bearer s3cret' })]);
    sources.push(source);
    await source.start();
    expect(source.tools().map((t) => t.name)).toEqual(expect.arrayContaining(['remote__echo', 'remote__add']));
    await expect(runTool(tool(source, 'remote__echo'), { text: 'over http' }, context())).resolves.toMatchObject({
      ok: true,
      output: 'echo: over http',
    });
  });

  it('a server that went away is reconnected once it is back', async () => {
    const flaky = await startFakeHttpMcpServer({ token: 't' });
    const port = Number(new URL(flaky.url).port);
    const source = new McpToolSource([{ name: 'flaky', transport: 'http', enabled: true, policy: {}, url: flaky.url, headers: { Authorization: 'Bearer t' } }], {
      reconnectInitialDelayMs: 50,
      reconnectMaxDelayMs: 100,
    });
    sources.push(source);
    await source.start();
    await flaky.close();
    const down = await runTool(tool(source, 'flaky__echo'), { text: 'anyone?' }, context());
    expect(down.ok).toBe(false);
    expect(down.output).toMatch(/flaky/);
    const back = await startFakeHttpMcpServer({ token: 't', port });
    try {
      await eventually(() => source.status()[0]?.state === 'ready');
      await expect(runTool(tool(source, 'flaky__echo'), { text: 'back' }, context())).resolves.toMatchObject({ ok: true, output: 'echo: back' });
    } finally {
      await back.close();
    }
  });

  it('a wrong token leaves the server unconnected with the reason recorded', async () => {
    const before = server.unauthorized;
    const source = new McpToolSource([httpConfig({ Authorization: 'Bearer wrong' })], { reconnectInitialDelayMs: 10_000 });
    sources.push(source);
    await source.start();
    expect(source.tools()).toEqual([]);
    expect(server.unauthorized).toBeGreaterThan(before);
    expect(source.status()[0]?.state).toBe('waiting');
  });
});
