import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { configSchema } from '../../src/config.ts';

const read = (path: string) => readFileSync(fileURLToPath(new URL(`../../${path}`, import.meta.url)), 'utf8');

describe('deployment files', () => {
  it('.env.example names every variable the config reads', () => {
    const named = new Set([...read('.env.example').matchAll(/^#? ?([A-Z][A-Z0-9_]+)=/gm)].map((match) => match[1]));
    expect(Object.keys(configSchema.shape).filter((key) => !named.has(key))).toEqual([]);
  });

  it('the image checks /readyz, skips the check when HEALTH_PORT=0, runs under an init and starts through the version check', () => {
    const dockerfile = read('Dockerfile');
    const healthcheck = dockerfile.split('\n').find((line) => line.startsWith('HEALTHCHECK'))!;
    expect(healthcheck).toContain('/readyz');
    expect(healthcheck).not.toContain('/healthz');
    expect(healthcheck).toContain("if (port === '0') process.exit(0)");
    expect(dockerfile).toContain('ENTRYPOINT ["/usr/bin/tini", "--", "node", "bin/ofox-bot.js"]');
  });

  it('the HEALTHCHECK command itself: 0 when /readyz says 200 or the port is off, 1 on 503', async () => {
    const healthcheck = read('Dockerfile').split('\n').find((line) => line.startsWith('HEALTHCHECK'))!;
    const [, , script] = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD ') + 4)) as string[];
    let ready = true;
    const server = createServer((request, response) => response.writeHead(request.url === '/readyz' && ready ? 200 : 503).end());
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = String((server.address() as { port: number }).port);
    const probe = (env: Record<string, string>) =>
      promisify(execFile)(process.execPath, ['-e', script!], { env: { PATH: process.env.PATH, ...env } }).then(
        () => 0,
        (error: { code?: number }) => error.code ?? -1,
      );
    try {
      expect(await probe({ HEALTH_PORT: port })).toBe(0);
      expect(await probe({ HEALTH_PORT: port, HEALTH_HOST: '0.0.0.0' })).toBe(0);
      expect(await probe({ HEALTH_PORT: '0' })).toBe(0);
      ready = false;
      expect(await probe({ HEALTH_PORT: port })).toBe(1);
    } finally {
      server.close();
    }
  });

  it('compose runs an init and mounts the tools config into every bot service', () => {
    const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, { init?: boolean; volumes?: Array<{ source?: string; target?: string }>; environment?: Record<string, string> }> };
    for (const name of ['gateway', 'worker']) {
      const service = compose.services[name]!;
      expect(service.init).toBe(true);
      expect(service.volumes).toContainEqual(expect.objectContaining({ source: './ofox-bot.config.yaml', target: '/app/ofox-bot.config.yaml' }));
      expect(service.environment?.OFOX_BOT_CONFIG).toBe('/app/ofox-bot.config.yaml');
    }
  });
});
