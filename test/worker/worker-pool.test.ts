import { Queue, UnrecoverableError, type Job } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.ts';
import { CHAT_QUEUE } from '../../src/queue/queue-names.ts';
import { createRedisConnection } from '../../src/queue/redis-connection.ts';
import { WorkerPool } from '../../src/worker/worker-pool.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

const prefix = newTestPrefix('pool');
const connections: ReturnType<typeof createRedisConnection>[] = [];
const connect = () => {
  const connection = createRedisConnection(testRedisUrl(), 'worker');
  connections.push(connection);
  return connection;
};
const queue = new Queue(CHAT_QUEUE, { connection: connect(), prefix });

afterAll(async () => {
  await queue.close();
  for (const connection of connections) connection.disconnect();
  await deleteKeys(prefix);
});

async function until(predicate: () => boolean, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the worker pool', () => {
  it('reports a job that failed for good exactly once, after its last attempt, so the chat never keeps a stuck placeholder', async () => {
    const failedForGood: string[] = [];
    const attempts = new Map<string, number>();
    const pool = new WorkerPool({
      prefix,
      connect,
      instances: 2,
      concurrency: 2,
      log: silentLogger(),
      processor: async (job: Job) => {
        attempts.set(job.id!, (attempts.get(job.id!) ?? 0) + 1);
        if (job.data.kind === 'unrecoverable') throw new UnrecoverableError('bad data');
        throw new Error('redis blip');
      },
      onFailedForGood: async (job) => {
        failedForGood.push(job.id!);
      },
    });
    pool.start();
    await queue.add('answer', { kind: 'unrecoverable' }, { jobId: 'unrecoverable', attempts: 3 });
    await queue.add('answer', { kind: 'transient' }, { jobId: 'transient', attempts: 2, backoff: { type: 'fixed', delay: 10 } });
    await until(() => failedForGood.length === 2);
    expect(failedForGood.sort()).toEqual(['transient', 'unrecoverable']);
    expect(attempts.get('unrecoverable')).toBe(1);
    expect(attempts.get('transient')).toBe(2);
    await pool.stop(1_000, () => {});
  });
});
