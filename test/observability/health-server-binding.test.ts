import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { HealthPortError, reserveHealthServer, startHealthServer } from '../../src/observability/health-server.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { freePort } from '../helpers/free-port.ts';

describe('binding the health server', () => {
  it('listens on HEALTH_HOST only', async () => {
    const port = await freePort();
    const server = await startHealthServer({ port, host: '127.0.0.1', log: silentLogger(), ready: async () => true });
    try {
      expect(server.address()).toMatchObject({ address: '127.0.0.1', port });
    } finally {
      server.close();
    }
  });

  it('a taken port is a HealthPortError naming HEALTH_PORT', async () => {
    const holder = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as { port: number }).port;
    try {
      const attempt = startHealthServer({ port, host: '127.0.0.1', log: silentLogger(), ready: async () => true });
      await expect(attempt).rejects.toThrow(HealthPortError);
      await expect(attempt).rejects.toThrow(`HEALTH_PORT ${port} is already in use (127.0.0.1:${port})`);
    } finally {
      holder.close();
    }
  });

  it('an address not on this machine names HEALTH_HOST', async () => {
    const attempt = startHealthServer({ port: await freePort(), host: '192.0.2.1', log: silentLogger(), ready: async () => true });
    await expect(attempt).rejects.toThrow('HEALTH_HOST 192.0.2.1 is not an address of this machine (EADDRNOTAVAIL)');
  });

  it('reserved early, it says "not ready" until the role attaches its check, on the same socket', async () => {
    const port = await freePort();
    const early = await reserveHealthServer({ port, host: '127.0.0.1', log: silentLogger() });
    try {
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(503);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const attached = await startHealthServer({ port, log: silentLogger(), ready: async () => true });
      expect(attached).toBe(early);
      expect((await fetch(`http://127.0.0.1:${port}/readyz`)).status).toBe(200);
    } finally {
      early.close();
    }
  });
});
