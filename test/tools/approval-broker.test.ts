import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ApprovalBroker, summarizeToolInput } from '../../src/tools/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

/** The worker (waits) and the gateway (decides) each have their own connection and broker, as in production. */
describe('ApprovalBroker across processes', () => {
  let prefix: string;
  let workerRedis: Redis;
  let gatewayRedis: Redis;
  let worker: ApprovalBroker;
  let gateway: ApprovalBroker;

  beforeEach(() => {
    prefix = newTestPrefix('approval');
    workerRedis = new Redis(testRedisUrl());
    gatewayRedis = new Redis(testRedisUrl());
    worker = new ApprovalBroker({ redis: workerRedis, prefix, timeoutMs: 5_000 });
    gateway = new ApprovalBroker({ redis: gatewayRedis, prefix, timeoutMs: 5_000 });
  });
  afterEach(async () => {
    await worker.close();
    await gateway.close();
    workerRedis.disconnect();
    gatewayRedis.disconnect();
    await deleteKeys(prefix);
  });

  const ask = () => worker.open({ jobId: 'job-1', toolName: 'fetch_url', summary: '{"url":"https://example.com"}', userId: 'U-asker' });

  it('the asker approves and the waiting worker hears it', async () => {
    const prompt = await ask();
    expect(prompt.approvalId).toMatch(/^[0-9a-f-]{36}$/);
    const waiting = worker.wait(prompt.approvalId);
    await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(gateway.decide({ approvalId: prompt.approvalId, userId: 'U-asker', isAdmin: false, decision: 'approve' })).resolves.toEqual({
      status: 'accepted',
      toolName: 'fetch_url',
    });
    await expect(waiting).resolves.toBe('approved');
    await expect(gateway.get(prompt.approvalId)).resolves.toMatchObject({ outcome: 'approved', decidedBy: 'U-asker', jobId: 'job-1' });
  });

  it('the asker denies', async () => {
    const prompt = await ask();
    const waiting = worker.wait(prompt.approvalId);
    await gateway.decide({ approvalId: prompt.approvalId, userId: 'U-asker', isAdmin: false, decision: 'deny' });
    await expect(waiting).resolves.toBe('denied');
  });

  it('a decision made before the worker starts waiting is not missed', async () => {
    const prompt = await ask();
    await gateway.decide({ approvalId: prompt.approvalId, userId: 'U-asker', isAdmin: false, decision: 'approve' });
    await expect(worker.wait(prompt.approvalId)).resolves.toBe('approved');
  });

  it('nobody deciding in time gives timed-out, and a late click is told so', async () => {
    const prompt = await ask();
    await expect(worker.wait(prompt.approvalId, { timeoutMs: 100 })).resolves.toBe('timed-out');
    await expect(gateway.decide({ approvalId: prompt.approvalId, userId: 'U-asker', isAdmin: false, decision: 'approve' })).resolves.toEqual({
      status: 'already-decided',
      message: 'This request was already timed out.',
    });
  });

  it('a click after the approval expired is refused even if no worker recorded the timeout', async () => {
    const prompt = await worker.open({ jobId: 'job-2', toolName: 'calculator', summary: '', userId: 'U-asker' }, { timeoutMs: 1 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    await expect(gateway.decide({ approvalId: prompt.approvalId, userId: 'U-asker', isAdmin: false, decision: 'approve' })).resolves.toMatchObject({
      status: 'already-decided',
    });
  });

  it('cancelling the job resolves the wait with cancelled', async () => {
    const prompt = await ask();
    const controller = new AbortController();
    const waiting = worker.wait(prompt.approvalId, { signal: controller.signal });
    setTimeout(() => controller.abort(), 30);
    await expect(waiting).resolves.toBe('cancelled');
    await expect(gateway.get(prompt.approvalId)).resolves.toMatchObject({ outcome: 'cancelled' });
  });

  it('a click by someone else is refused with a readable message, and the wait goes on', async () => {
    const prompt = await ask();
    const waiting = worker.wait(prompt.approvalId, { timeoutMs: 2_000 });
    const refused = await gateway.decide({ approvalId: prompt.approvalId, userId: 'U-bystander', isAdmin: false, decision: 'approve' });
    expect(refused).toEqual({ status: 'not-allowed', message: 'Only the person who asked, or an admin, can approve or deny running fetch_url.' });
    await gateway.decide({ approvalId: prompt.approvalId, userId: 'U-asker', isAdmin: false, decision: 'deny' });
    await expect(waiting).resolves.toBe('denied');
  });

  it('an admin may decide for someone else', async () => {
    const prompt = await ask();
    const waiting = worker.wait(prompt.approvalId);
    await expect(gateway.decide({ approvalId: prompt.approvalId, userId: 'U-admin', isAdmin: true, decision: 'approve' })).resolves.toMatchObject({
      status: 'accepted',
    });
    await expect(waiting).resolves.toBe('approved');
  });

  it('a second click is already-decided, and the first decision stands', async () => {
    const prompt = await ask();
    const waiting = worker.wait(prompt.approvalId);
    const clicks = await Promise.all([
      gateway.decide({ approvalId: prompt.approvalId, userId: 'U-asker', isAdmin: false, decision: 'approve' }),
      gateway.decide({ approvalId: prompt.approvalId, userId: 'U-admin', isAdmin: true, decision: 'deny' }),
    ]);
    expect(clicks.map((click) => click.status).sort()).toEqual(['accepted', 'already-decided']);
    const outcome = await waiting;
    expect(outcome).toBe(clicks[0]?.status === 'accepted' ? 'approved' : 'denied');
  });

  it('an unknown approval id is reported as unknown', async () => {
    await expect(gateway.decide({ approvalId: 'no-such-id', userId: 'U-asker', isAdmin: false, decision: 'approve' })).resolves.toEqual({
      status: 'unknown',
      message: 'This approval request is unknown or has expired.',
    });
  });
});

describe('summarizeToolInput', () => {
  it('renders arguments on one short line', () => {
    expect(summarizeToolInput({ url: 'https://example.com' })).toBe('{"url":"https://example.com"}');
    expect(summarizeToolInput({ text: 'x'.repeat(500) }, 50)).toHaveLength(50);
  });
});
