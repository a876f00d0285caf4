import type { AddressInfo } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startHealthServer } from '../../src/observability/health-server.ts';
import { answersTotal } from '../../src/observability/metrics.ts';
import { silentLogger } from '../../src/observability/logger.ts';

describe('health endpoints', () => {
  it('serves liveness, readiness that follows its dependencies, and Prometheus metrics', async () => {
    let ready = false;
    const server = await startHealthServer({ port: 0, log: silentLogger(), ready: async () => ready });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      expect((await fetch(`${base}/readyz`)).status).toBe(503);
      ready = true;
      expect((await fetch(`${base}/readyz`)).status).toBe(200);
      answersTotal.inc({ platform: 'test', outcome: 'complete' });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('ofox_bot_answers_total{platform="test",outcome="complete"} 1');
      expect((await fetch(`${base}/nope`)).status).toBe(404);
    } finally {
      server.close();
    }
  });
});
