import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { configSchema } from '../../src/config.ts';
import { createRedisConnection } from '../../src/queue/redis-connection.ts';
import { reply, text, finish, type FakeRequest } from '../fakes/ofox/index.ts';
import { RecordingPlatform, RedisRecordingStore } from '../fakes/recording-platform.ts';
import { startPipeline, TEST_API_KEY, type Pipeline } from '../helpers/pipeline.ts';
import { testRedisUrl } from '../helpers/redis.ts';

const workerScript = fileURLToPath(new URL('../helpers/worker-process.ts', import.meta.url));
const FULL_ANSWER = 'The recovered answer, complete and said exactly once.';
/** The shipped default, so the test measures what a deployment gets. */
const DEFAULT_LOCK_MS = configSchema.parse({ NODE_ENV: 'test' }).JOB_LOCK_MS;

let pipeline: Pipeline;
const storeRedis = createRedisConnection(testRedisUrl(), 'client');
let children: ChildProcess[] = [];

function startWorkerProcess(storeKey: string, extraEnv: Record<string, string> = {}): Promise<ChildProcess> {
  const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', workerScript], {
    env: {
      ...process.env,
      TEST_REDIS_URL: testRedisUrl(),
      TEST_PREFIX: pipeline.prefix,
      TEST_OFOX_URL: pipeline.fakeOfox.openaiBaseUrl,
      TEST_OFOX_KEY: TEST_API_KEY,
      TEST_STORE_KEY: storeKey,
      ...extraEnv,
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.push(child);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker process did not start')), 20_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      if (chunk.toString().includes('ready')) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.once('exit', (code) => reject(new Error(`worker process exited early with ${code}`)));
  });
}

async function until(predicate: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

/** The first request streams slowly (so the worker can be killed mid-answer); later ones answer at once. */
function slowThenFast() {
  let requests = 0;
  return (_request: FakeRequest) => {
    requests += 1;
    return requests === 1 ? [text('partial words '.repeat(300), { tokensPerSecond: 30 }), finish('stop')] : reply(FULL_ANSWER);
  };
}

async function enqueue(platform: RecordingPlatform, name: string) {
  const placeholder = await platform.postPlaceholder(`${name}-channel`);
  return pipeline.services.enqueue({
    v: 1,
    eventId: `${name}-${Date.now()}`,
    platform: 'recording',
    workspaceId: 'w',
    channelId: `${name}-channel`,
    userId: 'u',
    prompt: 'tell me',
    placeholder,
    createdAt: Date.now(),
  }).then(({ jobId }) => ({ jobId, placeholder }));
}

beforeAll(async () => {
  pipeline = await startPipeline({ workers: false });
});

afterEach(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  children = [];
  await pipeline.workers?.stop(1_000);
  pipeline.workers = undefined;
});

afterAll(async () => {
  await pipeline?.stop();
  storeRedis.disconnect();
});

describe('crash safety', () => {
  it('a worker killed with SIGKILL mid-stream has its answer resumed by a second worker within seconds at the default lock, in the same message, said once', async () => {
    const storeKey = `${pipeline.prefix}:store-kill`;
    const platform = new RecordingPlatform({ store: new RedisRecordingStore(storeRedis, storeKey) });
    pipeline.fakeOfox.respond(slowThenFast());
    const first = await startWorkerProcess(storeKey, { TEST_LOCK_MS: String(DEFAULT_LOCK_MS) });
    const { jobId, placeholder } = await enqueue(platform, 'kill');
    await until(async () => (await platform.messages()).some((message) => message.id === placeholder.id && message.text.includes('partial')));
    // The second worker is already running when the first dies, as in a deployment.
    await pipeline.startWorkers([platform], { lockDurationMs: DEFAULT_LOCK_MS });
    const exited = new Promise((resolve) => first.once('exit', resolve));
    const killedAt = Date.now();
    first.kill('SIGKILL');
    await exited;
    // Nothing the dead worker did can carry a later time than its exit.
    const exitedAt = Date.now();

    const result = await pipeline.waitForJob(jobId, 30_000);
    expect(result.outcome).toBe('complete');
    const writes = (await platform.store.writes()).filter((write) => write.id === placeholder.id);
    const resumed = writes.findIndex((write) => write.at > exitedAt);
    expect(resumed).toBeGreaterThan(0);
    // Default lock 6 s, stalled check every 1.5 s: under 10 s; 15 s leaves room for a loaded machine.
    expect(writes[resumed]!.at - killedAt).toBeLessThanOrEqual(15_000);
    // Nothing from the dead worker after the second took over: every later write is the new answer.
    expect(writes.slice(resumed).filter((write) => write.text.includes('partial'))).toEqual([]);
    const messages = await platform.messages();
    // One message only: the placeholder ingress posted, now holding the whole answer once.
    expect(messages.map((message) => message.id)).toEqual([placeholder.id]);
    expect(messages[0]!.text).toBe(FULL_ANSWER);
  });

  it('SIGTERM hands a running answer back to the queue and another worker completes it in the same message', async () => {
    const storeKey = `${pipeline.prefix}:store-term`;
    const platform = new RecordingPlatform({ store: new RedisRecordingStore(storeRedis, storeKey) });
    pipeline.fakeOfox.respond(slowThenFast());
    const first = await startWorkerProcess(storeKey, { TEST_GRACE_MS: '300', TEST_LOCK_MS: '30000' });
    const { jobId, placeholder } = await enqueue(platform, 'term');
    await until(async () => (await platform.messages()).some((message) => message.id === placeholder.id && message.text.includes('partial')));
    const exited = new Promise<number | null>((resolve) => first.once('exit', (code) => resolve(code)));
    first.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(await (await pipeline.core.producer.queue.getJob(jobId))!.getState()).toBe('waiting');

    // With a 30 s lock, only a job handed back (not a stalled one) can be picked up this soon.
    await pipeline.startWorkers([platform]);
    const result = await pipeline.waitForJob(jobId, 10_000);
    expect(result.outcome).toBe('complete');
    const messages = await platform.messages();
    expect(messages.map((message) => message.id)).toEqual([placeholder.id]);
    expect(messages[0]!.text.startsWith(FULL_ANSWER)).toBe(true);
  });
});
