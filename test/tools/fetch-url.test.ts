import { createAddressPolicy } from '../../src/tools/builtins/address-policy.ts';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fetchUrlTool, runTool, type FetchUrlOptions, type Resolver, type ToolContext } from '../../src/tools/index.ts';

function context(): ToolContext {
  return { signal: new AbortController().signal, platform: 'test', workspaceId: 'W1', channelId: 'C1', userId: 'U1' };
}

/** Fake DNS: names map to the addresses a test wants; anything else does not exist. */
function fakeDns(table: Record<string, string[]>, calls: string[] = []): Resolver {
  return async (hostname) => {
    calls.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };
}

async function fetchWith(options: FetchUrlOptions, url: string) {
  return runTool(fetchUrlTool(options), { url }, context());
}

const PAGE = `<!doctype html><html><head><title>The  Test &amp; Page</title>
<style>body { color: red }</style><script>alert("nope")</script></head>
<body><nav>Home</nav><h1>Hello   world</h1><p>First&nbsp;paragraph with <b>bold</b> text.</p>
<!-- a comment --><ul><li>one</li><li>two</li></ul><script>var hidden = 1;</script><p>Last&#8212;done.</p></body></html>`;

describe('fetch_url', () => {
  let server: Server;
  let base: string;
  let port: number;
  beforeAll(async () => {
    server = createServer((request, response) => {
      const path = request.url ?? '/';
      if (path === '/page') response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      else if (path === '/json') response.writeHead(200, { 'content-type': 'application/json' }).end('{"answer":42}');
      else if (path === '/big') response.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(200_000));
      else if (path === '/gzip') response.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' }).end(gzipSync('compressed hello'));
      else if (path === '/image') response.writeHead(200, { 'content-type': 'image/png' }).end(Buffer.alloc(10));
      else if (path === '/to-metadata') response.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
      else if (path === '/to-private-name') response.writeHead(301, { location: 'http://rebind.example.com/secret' }).end();
      else if (path === '/to-ipv6-loopback') response.writeHead(307, { location: 'http://[::1]:8080/' }).end();
      else if (path === '/to-file') response.writeHead(302, { location: 'file:///etc/passwd' }).end();
      else if (path === '/to-page') response.writeHead(302, { location: '/page' }).end();
      else if (path === '/loop') response.writeHead(302, { location: '/loop' }).end();
      else if (path === '/hang') request.socket.setTimeout(0); // never answers
      else if (path === '/missing') response.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
      else response.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it.each([
    ['loopback', 'http://127.0.0.1/'],
    ['private 10/8', 'http://10.0.0.1/'],
    ['private 192.168/16', 'http://192.168.1.1/admin'],
    ['carrier-grade NAT', 'http://100.64.0.1/'],
    ['cloud metadata', 'http://169.254.169.254/latest/meta-data/'],
    ['IPv6 loopback', 'http://[::1]/'],
    ['IPv4-mapped IPv6 loopback', 'http://[::ffff:127.0.0.1]/'],
    ['IPv6 unique local', 'http://[fd00::1]/'],
    ['IPv6 link-local', 'http://[fe80::1]/'],
    ['unspecified', 'http://0.0.0.0/'],
    ['multicast', 'http://224.0.0.1/'],
    ['loopback written in hex', 'http://0x7f000001/'],
    ['localhost by name', 'http://localhost/'],
  ])('refuses %s (%s)', async (_label, url) => {
    const result = await fetchWith({ resolve: fakeDns({}) }, url);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/refused/);
  });

  it('refuses schemes other than http and https', async () => {
    const result = await fetchWith({}, 'file:///etc/passwd');
    expect(result.output).toMatch(/only http and https/);
  });

  it('refuses a public-looking name that resolves to a private address, checked at connect time', async () => {
    const calls: string[] = [];
    const result = await fetchWith({ resolve: fakeDns({ 'totally-public.example.com': ['10.1.2.3'] }, calls) }, 'http://totally-public.example.com/');
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/refused.*totally-public\.example\.com resolves to 10\.1\.2\.3 is a private address/);
    expect(calls).toEqual(['totally-public.example.com']);
  });

  it('connects to the address the checked lookup returned (no second resolution to rebind)', async () => {
    const calls: string[] = [];
    // The allowlist names the host, so its loopback address is accepted; the connection must use our resolver.
    const result = await fetchWith(
      { allowlist: ['intranet.test'], resolve: fakeDns({ 'intranet.test': ['127.0.0.1'] }, calls) },
      `http://intranet.test:${port}/json`,
    );
    expect(result).toMatchObject({ ok: true });
    expect(result.output).toContain('{"answer":42}');
    expect(calls).toEqual(['intranet.test']);
  });

  it('returns readable text from an allowlisted loopback server: title kept, scripts and styles dropped, whitespace collapsed', async () => {
    const result = await fetchWith({ allowlist: ['127.0.0.1'] }, `${base}/page`);
    expect(result.ok).toBe(true);
    expect(result.output).toContain('Title: The Test & Page');
    expect(result.output).toContain('Hello world');
    expect(result.output).toContain('First paragraph with bold text.');
    expect(result.output).toContain('- one\n- two');
    expect(result.output).toContain('Last—done.');
    expect(result.output).not.toMatch(/alert|hidden|color: red|a comment/);
  });

  it('passes JSON through and follows a redirect within allowed hosts', async () => {
    const result = await fetchWith({ allowlist: ['127.0.0.0/8'] }, `${base}/json`);
    expect(result.output).toContain('{"answer":42}');
    const redirected = await fetchWith({ allowlist: ['127.0.0.0/8'] }, `${base}/to-page`);
    expect(redirected.output).toContain(`URL: ${base}/page`);
  });

  it('decompresses a body the server compressed anyway', async () => {
    const result = await fetchWith({ allowlist: ['127.0.0.1'] }, `${base}/gzip`);
    expect(result.output).toContain('compressed hello');
  });

  it('reads at most maxBytes of the body and says so', async () => {
    const result = await fetchWith({ allowlist: ['127.0.0.1'], maxBytes: 1_000 }, `${base}/big`);
    expect(result.ok).toBe(true);
    expect(result.output).toContain('only the first 1000 bytes were read');
    expect(result.output.match(/x/g)?.length).toBe(1_000);
  });

  it.each([
    ['an IPv4-compatible IPv6 loopback', '::7f00:1'],
    ['an IPv4-translated (SIIT) address', '::ffff:0:a00:1'],
    ['a local-use NAT64 address', '64:ff9b:1::a00:1'],
  ])('refuses %s', (_label, address) => {
    expect(createAddressPolicy().refusal(address)).toBeDefined();
  });

  it.each([
    ['the metadata address', '/to-metadata', /169\.254\.169\.254 is a link-local/],
    ['a name resolving to a private address', '/to-private-name', /rebind\.example\.com resolves to 10\.9\.9\.9/],
    ['IPv6 loopback', '/to-ipv6-loopback', /::1 is a loopback/],
    ['a file URL', '/to-file', /only http and https/],
  ])('refuses a redirect from an allowed server to %s', async (_label, path, message) => {
    const result = await fetchWith({ allowlist: ['127.0.0.1'], resolve: fakeDns({ 'rebind.example.com': ['10.9.9.9'] }) }, `${base}${path}`);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(message);
  });

  it('stops after too many redirects', async () => {
    const result = await fetchWith({ allowlist: ['127.0.0.1'], maxRedirects: 3 }, `${base}/loop`);
    expect(result.output).toMatch(/too many redirects/);
  });

  it('gives up on a server that never answers within the time cap', async () => {
    const started = Date.now();
    const result = await fetchWith({ allowlist: ['127.0.0.1'], timeoutMs: 300 }, `${base}/hang`);
    expect(result.ok).toBe(false);
    expect(result.output).toMatch(/took too long/);
    expect(Date.now() - started).toBeLessThan(3_000);
  });

  it('refuses binary content and reports HTTP errors', async () => {
    expect((await fetchWith({ allowlist: ['127.0.0.1'] }, `${base}/image`)).output).toMatch(/image\/png \(not text\)/);
    expect((await fetchWith({ allowlist: ['127.0.0.1'] }, `${base}/missing`)).output).toMatch(/HTTP 404/);
  });
});
