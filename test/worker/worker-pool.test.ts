import { createServer, connect as connectTcp, type Server, type Socket } from 'node:net';
import { Queue, UnrecoverableError, type Job } from 'bullmq';
import { afterAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/observability/logger.ts';
import { CHAT_QUEUE } from '../../src/queue/queue-names.ts';
import { createRedisConnection } from '../../src/queue/redis-connection.ts';
import { chatJobSchema } from '../../src/queue/chat-job.ts';
import { JobLeaseLostError } from '../../src/worker/job-lease.ts';
import { fencePorts } from '../../src/worker/lease-fence.ts';
import { WorkerPool } from '../../src/worker/worker-pool.ts';
import { MemoryRecordingStore, RecordingPlatform } from '../fakes/recording-platform.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { captureLog } from '../helpers/capture-log.ts';

const prefix = newTestPrefix('pool');
const connections: ReturnType<typeof createRedisConnection>[] = [];
const connect = (url = testRedisUrl()) => {
  const connection = createRedisConnection(url, 'worker');
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

/** A TCP relay in front of the test Redis that can be cut and restored on the same port: an outage, for real. */
async function redisRelay() {
  const target = new URL(testRedisUrl());
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  // A client accepted just before a cut reaches the handler after it: it is dropped too, or
  // `server.close` would wait for it forever.
  let down = false;
  const open = () =>
    new Promise<void>((resolve) => {
      down = false;
      server = createServer((client) => {
        if (down) {
          client.destroy();
          return;
        }
        const upstream = connectTcp(Number(target.port || 6379), target.hostname);
        for (const socket of [client, upstream]) {
          sockets.add(socket);
          socket.on('error', () => {});
          socket.on('close', () => sockets.delete(socket));
        }
        client.pipe(upstream).pipe(client);
      });
      server.listen(port, '127.0.0.1', () => {
        port = (server!.address() as { port: number }).port;
        resolve();
      });
    });
  const cut = () =>
    new Promise<void>((resolve) => {
      down = true;
      for (const socket of sockets) socket.destroy();
      server!.close(() => resolve());
    });
  await open();
  return { url: () => `redis://127.0.0.1:${port}`, cut, restore: open };
}

describe('the worker pool while Redis is away', () => {
  it('logs one line per outage however many reconnect attempts fail, and still logs other worker errors', async () => {
    const relay = await redisRelay();
    const { log, lines } = captureLog();
    const made: Array<ReturnType<typeof connect>> = [];
    const viaRelay = () => {
      const connection = connect(relay.url());
      made.push(connection);
      return connection;
    };
    const pool = new WorkerPool({ prefix: newTestPrefix('pool-outage'), connect: viaRelay, instances: 2, concurrency: 1, log, processor: async () => undefined });
    let errors = 0;
    for (const worker of pool.workers) worker.on('error', () => (errors += 1));
    pool.start();
    await pool.waitUntilReady();

    for (let outage = 1; outage <= 2; outage += 1) {
      const before = errors;
      await relay.cut();
      // Several failed reconnects of each connection, each one an 'error' event on its Worker.
      await until(() => errors - before >= 6, 30_000);
      await relay.restore();
      // Back: the next outage is a new one. A connection BullMQ closed for good (and replaced
      // through `connect`) never comes back, so only the live ones are waited for.
      await until(() => made.every((connection) => connection.status === 'ready' || connection.status === 'end'), 30_000);
    }
    pool.workers[0]!.emit('error', new Error('a bug in a processor'));

    expect(lines.map((line) => line.msg)).toEqual([
      'workers lost their Redis connection; they reconnect quietly',
      'workers lost their Redis connection; they reconnect quietly',
      'worker error',
    ]);
    expect(lines[0]).toMatchObject({ level: 40 });
    expect(String(lines[0]!.cause)).toMatch(/ECONNREFUSED|ECONNRESET|Connection is closed/);
    expect(lines[2]).toMatchObject({ level: 50, err: { message: 'a bug in a processor' } });
    await pool.stop(1_000, () => {});
    await relay.cut();
    // Two outages, each up to 30 s for the failed reconnects and 30 s for the way back (ioredis
    // backs off between attempts, slower on a loaded machine): the test's own bound is above them.
  }, 150_000);
});

/** Keeps the event loop busy, as a long synchronous step or a GC pause would: no timer, no renewal runs. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

function recordingJob(channelId: string) {
  return chatJobSchema.parse({ v: 1, eventId: channelId, platform: 'recording', workspaceId: 'w', channelId, userId: 'u', prompt: 'q', createdAt: Date.now() });
}

describe('writes fenced by the job lock', () => {
  it('a worker whose event loop stalled past its lock writes nothing more and stops; the recovered run is the only writer after it', async () => {
    const store = new MemoryRecordingStore();
    const ports = fencePorts(new RecordingPlatform({ store }));
    const runs: Array<{ secondWrite: string; aborted: boolean }> = [];
    let finished = false;
    const pool = new WorkerPool({
      prefix,
      connect,
      instances: 1,
      concurrency: 1,
      lockDurationMs: 1_000,
      log: silentLogger(),
      processor: async (job: Job, _token?: string, signal?: AbortSignal) => {
        const surface = ports.surfaceFor(recordingJob('stall'));
        const ref = { id: 'answer', channelId: 'stall' };
        if (runs.length === 0) {
          await surface.edit(ref, 'first run, before the stall');
          blockEventLoop(1_600);
          const outcome = await surface.edit(ref, 'first run, after the stall').then(
            () => 'written',
            (error: unknown) => (error instanceof JobLeaseLostError ? 'refused: lock lost' : `refused: ${String(error)}`),
          );
          runs.push({ secondWrite: outcome, aborted: signal?.aborted ?? false });
          throw new Error('lock lost');
        }
        await surface.edit(ref, 'recovered run');
        runs.push({ secondWrite: 'n/a', aborted: signal?.aborted ?? false });
        finished = true;
        return job.id;
      },
    });
    pool.start();
    await queue.add('answer', {}, { jobId: 'stalled-writer' });
    await until(() => finished, 15_000);
    expect(runs).toEqual([
      { secondWrite: 'refused: lock lost', aborted: true },
      { secondWrite: 'n/a', aborted: false },
    ]);
    expect((await store.writes()).map((write) => write.text)).toEqual(['first run, before the stall', 'recovered run']);
    await pool.stop(1_000, () => {});
  });

  it('a stall that leaves the lock alive but near its expiry holds the write until a renewal confirms it, then writes', async () => {
    const store = new MemoryRecordingStore();
    const ports = fencePorts(new RecordingPlatform({ store }));
    let aborted: boolean | undefined;
    const pool = new WorkerPool({
      prefix,
      connect,
      instances: 1,
      concurrency: 1,
      // Renewed every ~100 ms; after a 1.4 s stall the lock has ~0.5 s left: alive, but inside the margin.
      lockDurationMs: 2_000,
      lockRenewMs: 100,
      writeMarginMs: 1_000,
      log: silentLogger(),
      processor: async (job: Job, _token?: string, signal?: AbortSignal) => {
        const surface = ports.surfaceFor(recordingJob('short-stall'));
        const ref = { id: 'answer', channelId: 'short-stall' };
        await surface.edit(ref, 'before the stall');
        await new Promise((resolve) => setTimeout(resolve, 300));
        blockEventLoop(1_400);
        await surface.edit(ref, 'after the stall');
        aborted = signal?.aborted;
        return job.id;
      },
    });
    pool.start();
    await queue.add('answer', {}, { jobId: 'short-stall' });
    await until(() => aborted !== undefined, 10_000);
    expect(aborted).toBe(false);
    expect((await store.writes()).map((write) => write.text)).toEqual(['before the stall', 'after the stall']);
    const deadline = Date.now() + 5_000;
    while ((await (await queue.getJob('short-stall'))!.getState()) !== 'completed' && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await (await queue.getJob('short-stall'))!.getState()).toBe('completed');
    await pool.stop(1_000, () => {});
  });

  it('a job whose worker stalls past its lock twice is still resumed; a third time it fails for good, reported once', async () => {
    const runs = new Map<string, number>();
    const failedForGood: string[] = [];
    const pool = new WorkerPool({
      prefix,
      connect,
      instances: 1,
      concurrency: 1,
      lockDurationMs: 1_000,
      log: silentLogger(),
      processor: async (job: Job) => {
        const run = (runs.get(job.id!) ?? 0) + 1;
        runs.set(job.id!, run);
        // A worker frozen past its lock is, to the queue, a worker that died.
        if (job.data.stalls >= run) {
          blockEventLoop(1_500);
          throw new Error('lock lost');
        }
        return 'done';
      },
      onFailedForGood: async (job) => {
        failedForGood.push(job.id!);
      },
    });
    pool.start();
    await queue.add('answer', { stalls: 2 }, { jobId: 'stalls-twice' });
    await queue.add('answer', { stalls: 3 }, { jobId: 'stalls-thrice' });
    await until(() => failedForGood.length === 1 && runs.get('stalls-twice') === 3, 30_000);
    expect(await (await queue.getJob('stalls-twice'))!.getState()).toBe('completed');
    expect(await (await queue.getJob('stalls-thrice'))!.getState()).toBe('failed');
    expect(failedForGood).toEqual(['stalls-thrice']);
    expect(Object.fromEntries(runs)).toEqual({ 'stalls-twice': 3, 'stalls-thrice': 3 });
    await pool.stop(1_000, () => {});
  }, 40_000);
});
