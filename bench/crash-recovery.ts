/**
 * Crash → resumed: two worker processes (the real core and worker role, at the shipped default
 * JOB_LOCK_MS) answer through real Redis / BullMQ from the fake OfoxAI; the one streaming an
 * answer is SIGKILLed at a random moment, and the time until the other worker's first write to
 * that answer's message is measured. The killed worker is replaced, and up, before the next kill,
 * so no booting process's CPU or first stalled check falls inside a measured window. A run takes
 * about 10 × (lock + 3 s) on an idle machine, longer where worker processes boot slowly.
 *
 *   node --experimental-strip-types --no-warnings bench/crash-recovery.ts
 */
// Registers every platform's config part, as the CLI does.
import '../src/cli/platforms.ts';
import { deleteKeys } from './redis-keys.ts';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { configSchema, loadConfig } from '../src/config.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { createCore } from '../src/runtime/core.ts';
import { finish, reply, startFakeOfox, text, type FakeRequest } from '../test/fakes/ofox/index.ts';
import { RecordingPlatform, RedisRecordingStore, type RecordedWrite } from '../test/fakes/recording-platform.ts';

const KILLS = 10;
const API_KEY = 'sk-bench-crash-recovery-0123456789';
const FULL_ANSWER = 'The resumed answer, whole and said once.';
const DEFAULT_LOCK_MS = configSchema.parse({ NODE_ENV: 'production' }).JOB_LOCK_MS;
const workerScript = fileURLToPath(new URL('../test/helpers/worker-process.ts', import.meta.url));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface WorkerProcess {
  child: ChildProcess;
  store: RedisRecordingStore;
}

export interface CrashRecoveryResult {
  /** Milliseconds from SIGKILL to the surviving worker's first write of the answer, one per kill. */
  resumedMs: number[];
  /** Answers whose message ended holding exactly the model's text. */
  completeOnce: number;
}

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs: number, what: string): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export async function benchCrashRecovery(kills = KILLS): Promise<CrashRecoveryResult> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const prefix = `ofox-bench-crash-${randomBytes(4).toString('hex')}`;
  // The first request of each answer streams for ~20 s (the worker dies during it); the retry answers at once.
  const seen = new Set<string>();
  const fake = await startFakeOfox({
    apiKey: API_KEY,
    responder: (request: FakeRequest) => {
      const key = JSON.stringify(request.messages.at(-1));
      if (seen.has(key)) return reply(FULL_ANSWER);
      seen.add(key);
      return [text('partial words '.repeat(300), { tokensPerSecond: 30 }), finish('stop')];
    },
  });
  const config = loadConfig(
    { NODE_ENV: 'production', LOG_LEVEL: 'silent', OFOX_API_KEY: API_KEY, OFOX_BASE_URL: fake.openaiBaseUrl, REDIS_URL: redisUrl, REDIS_KEY_PREFIX: prefix, HEALTH_PORT: '0', OFOX_BOT_CONFIG: '' },
    '/nonexistent/.env',
  );
  const core = await createCore({ config, log: silentLogger(), env: {}, startTools: false });
  const storeRedis = new Redis(redisUrl);
  const placeholders = new RecordingPlatform({ store: new RedisRecordingStore(storeRedis, `${prefix}:store-ingress`) });
  let spawned = 0;
  const workers = new Set<WorkerProcess>();

  const startWorker = (): Promise<WorkerProcess> => {
    const storeKey = `${prefix}:store-worker-${(spawned += 1)}`;
    const child = spawn(process.execPath, ['--experimental-strip-types', '--no-warnings', workerScript], {
      env: {
        ...process.env,
        TEST_REDIS_URL: redisUrl,
        TEST_PREFIX: prefix,
        TEST_OFOX_URL: fake.openaiBaseUrl,
        TEST_OFOX_KEY: API_KEY,
        TEST_STORE_KEY: storeKey,
        TEST_LOCK_MS: String(DEFAULT_LOCK_MS),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const worker = { child, store: new RedisRecordingStore(storeRedis, storeKey) };
    workers.add(worker);
    child.once('exit', () => workers.delete(worker));
    return new Promise((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        if (chunk.toString().includes('ready')) resolve(worker);
      });
      child.once('exit', (code) => reject(new Error(`worker process exited early with ${code}`)));
    });
  };
  const writesOf = async (worker: WorkerProcess, messageId: string): Promise<RecordedWrite[]> => (await worker.store.writes()).filter((write) => write.id === messageId);

  const resumedMs: number[] = [];
  let completeOnce = 0;
  try {
    await Promise.all([startWorker(), startWorker()]);
    let replacement: Promise<WorkerProcess> | undefined;
    for (let round = 1; round <= kills; round += 1) {
      const channelId = `crash-${round}`;
      const placeholder = await placeholders.postPlaceholder(channelId);
      const { jobId } = await core.ingress.enqueue({
        v: 1,
        eventId: `crash-${round}`,
        platform: 'recording',
        workspaceId: 'bench',
        channelId,
        userId: 'bench-user',
        prompt: `crash round ${round}`,
        placeholder,
        createdAt: Date.now(),
      });
      const holder = await until(
        async () => {
          for (const worker of workers) if ((await writesOf(worker, placeholder.id)).some((write) => write.text.includes('partial'))) return worker;
          return undefined;
        },
        20_000,
        'the answer to stream',
      );
      // A survivor must be up, and the kill lands anywhere in the lock's renewal cycle.
      await replacement;
      await sleep(Math.random() * (DEFAULT_LOCK_MS / 4));
      const survivors = [...workers].filter((worker) => worker !== holder);
      const exited = new Promise((resolve) => holder.child.once('exit', resolve));
      const killedAt = Date.now();
      holder.child.kill('SIGKILL');
      await exited;
      const exitedAt = Date.now();
      const resumedAt = await until(
        async () => {
          for (const worker of survivors) {
            const write = (await writesOf(worker, placeholder.id)).find((entry) => entry.at > exitedAt);
            if (write) return write.at;
          }
          return undefined;
        },
        60_000,
        'another worker to resume the answer',
      );
      resumedMs.push(resumedAt - killedAt);
      // Booting the replacement overlaps the rest of this round and the start of the next.
      replacement = startWorker();
      const job = await until(
        async () => {
          const found = await core.producer.queue.getJob(jobId);
          const state = await found?.getState();
          return state === 'completed' || state === 'failed' ? state : undefined;
        },
        30_000,
        'the resumed answer to finish',
      );
      const finalWrites = (await Promise.all(survivors.map((worker) => writesOf(worker, placeholder.id)))).flat().sort((a, b) => a.at - b.at);
      if (job === 'completed' && finalWrites.at(-1)?.text === FULL_ANSWER) completeOnce += 1;
    }
    await replacement;
  } finally {
    for (const worker of workers) worker.child.kill('SIGKILL');
    await core.close();
    storeRedis.disconnect();
    await fake.close();
    await deleteKeys(redisUrl, prefix);
  }
  return { resumedMs, completeOnce };
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(fraction * sorted.length) - 1)] ?? Number.NaN;
}

export function crashRecoveryTable(result: CrashRecoveryResult): Array<Record<string, number | string>> {
  const seconds = (ms: number) => Math.round(ms / 100) / 10;
  return [
    {
      'JOB_LOCK_MS': DEFAULT_LOCK_MS,
      kills: result.resumedMs.length,
      'crash → resumed p50 (s)': seconds(percentile(result.resumedMs, 0.5)),
      'crash → resumed p99 (s)': seconds(percentile(result.resumedMs, 0.99)),
      'min (s)': seconds(Math.min(...result.resumedMs)),
      'max (s)': seconds(Math.max(...result.resumedMs)),
      'answers whole, once': `${result.completeOnce}/${result.resumedMs.length}`,
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const started = performance.now();
  const result = await benchCrashRecovery();
  console.table(crashRecoveryTable(result));
  console.log(`done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  process.exit(0);
}

