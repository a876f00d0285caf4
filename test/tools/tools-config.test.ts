import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadToolsConfig, namespacedToolName, parseToolsConfig, ToolsConfigError } from '../../src/tools/index.ts';

const EXAMPLE = resolve(import.meta.dirname, '../../ofox-bot.config.example.yaml');

describe('the tools config file', () => {
  it('the example file parses, with secrets taken from the environment', () => {
    const config = parseToolsConfig(readFileSync(EXAMPLE, 'utf8'), {
      file: EXAMPLE,
      env: { GITHUB_TOKEN: 'ghp_x', DOCS_SEARCH_TOKEN: 'docs_y' },
    });
    expect(config.tools.github__create_issue).toEqual({ requiresApproval: true });
    const [github, docs, experiments] = config.mcpServers;
    expect(github).toMatchObject({ name: 'github', transport: 'stdio', command: 'npx', env: { GITHUB_PERSONAL_ACCESS_TOKEN: 'ghp_x' }, policy: { enabledByDefault: false } });
    expect(docs).toMatchObject({ name: 'docs-search', transport: 'http', headers: { Authorization: 'Bearer docs_y' } });
    expect(experiments).toMatchObject({ enabled: false });
  });

  it('names every missing environment variable at once', () => {
    const attempt = () => parseToolsConfig(readFileSync(EXAMPLE, 'utf8'), { file: EXAMPLE, env: {} });
    expect(attempt).toThrow(ToolsConfigError);
    expect(attempt).toThrow(/env\.GITHUB_PERSONAL_ACCESS_TOKEN: environment variable GITHUB_TOKEN is not set[\s\S]*headers\.Authorization: environment variable DOCS_SEARCH_TOKEN is not set/);
  });

  it('supports fallbacks and literal dollars', () => {
    const config = parseToolsConfig(
      JSON.stringify({ mcpServers: { s: { command: 'x', env: { A: '${UNSET:-dflt}', B: 'cost: $${PRICE}' } } } }),
      { file: 'c.json', env: {} },
    );
    expect(config.mcpServers[0]).toMatchObject({ env: { A: 'dflt', B: 'cost: ${PRICE}' } });
  });

  it.each([
    ['a server with neither command nor url', { mcpServers: { s: { args: [] } } }, /mcpServers\.s: each MCP server needs either `command`/],
    ['an unknown policy field', { tools: { calculator: { timeout: 5 } } }, /tools\.calculator: Unrecognized key: "timeout"/],
    ['a server name with the separator', { mcpServers: { 'a__b': { command: 'x' } } }, /may not contain "__"/],
    ['two names that sanitize alike', { mcpServers: { 'a.b': { command: 'x' }, a_b: { command: 'y' } } }, /becomes "a_b".*same as "a\.b"/],
    ['a non-http url', { mcpServers: { s: { url: 'ftp://x' } } }, /mcpServers\.s\.url: must be an http\(s\) URL/],
  ])('rejects %s with a clear message', (_label, content, message) => {
    expect(() => parseToolsConfig(JSON.stringify(content), { file: 'c.json', env: {} })).toThrow(message);
  });

  it('reports YAML syntax errors with the file name', () => {
    expect(() => parseToolsConfig('tools: [', { file: '/etc/ofox.yaml', env: {} })).toThrow(/Invalid tools config \/etc\/ofox\.yaml:[\s\S]*not valid YAML/);
  });

  it('loads the default file from the working directory, or nothing when there is none', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ofox-config-'));
    await expect(loadToolsConfig({ env: {}, cwd: dir })).resolves.toEqual({ tools: {}, mcpServers: [] });
    writeFileSync(join(dir, 'ofox-bot.config.json'), JSON.stringify({ tools: { calculator: { enabledByDefault: false } } }));
    await expect(loadToolsConfig({ env: {}, cwd: dir })).resolves.toMatchObject({ tools: { calculator: { enabledByDefault: false } } });
    await expect(loadToolsConfig({ path: 'missing.yaml', env: {}, cwd: dir })).rejects.toThrow(/does not exist \(check OFOX_BOT_CONFIG\)/);
  });
});

describe('namespaced MCP tool names', () => {
  it('are sanitized and never longer than 64 characters, staying distinct', () => {
    expect(namespacedToolName('my server', 'get.thing')).toBe('my_server__get_thing');
    const long1 = namespacedToolName('server', 'x'.repeat(80) + 'a');
    const long2 = namespacedToolName('server', 'x'.repeat(80) + 'b');
    expect(long1).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(long1).toHaveLength(64);
    expect(long1).not.toBe(long2);
  });
});

describe('createTools', () => {
  it('wires built-ins, config overrides and (here, no) MCP servers into one catalog', async () => {
    const { createTools } = await import('../../src/tools/index.ts');
    const dir = mkdtempSync(join(tmpdir(), 'ofox-tools-'));
    writeFileSync(join(dir, 'tools.yaml'), 'tools:\n  fetch_url:\n    enabledByDefault: false\n');
    const runtime = await createTools({ config: { OFOX_BOT_CONFIG: 'tools.yaml', FETCH_URL_ALLOWLIST: [] }, env: {}, cwd: dir });
    await runtime.start();
    expect(runtime.catalog.list().map((tool) => tool.name)).toEqual(['current_time', 'calculator', 'fetch_url']);
    expect(runtime.catalog.enabledFor({ tools: {} }).map((tool) => tool.name)).toEqual(['current_time', 'calculator']);
    await runtime.close();
  });
});
