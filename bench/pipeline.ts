/**
 * The whole answer pipeline under load: N jobs enqueued at once through real Redis / BullMQ into
 * ONE worker process (the real `createCore` + `startWorkerRole`), the real OfoxAI client streaming
 * from the fake OfoxAI in a child process (~50 tokens/s, 150–300 tokens per answer), and a
 * Discord-shaped fake surface (50 ms per write, 5 edits per 5 s per channel, 429 over the limit).
 *
 *   node --experimental-strip-types --no-warnings bench/pipeline.ts
 */
// Registers every platform's config part, as the CLI does.
import '../src/cli/platforms.ts';
import { deleteKeys } from './redis-keys.ts';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { loadConfig } from '../src/config.ts';
import type { LlmClient, LlmEvent } from '../src/llm/types.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { jobIdFor } from '../src/queue/chat-job.ts';
import { createCore } from '../src/runtime/core.ts';
import { startWorkerRole, type WorkerRole } from '../src/runtime/worker-role.ts';
import { answerFor, promptFor, seedOf } from './answer-text.ts';
// Types only: importing the module's values would start a second fake in this process.
import type { UpstreamReady, UpstreamStats } from './fake-upstream.ts';
import { benchEnv } from './bench-env.ts';
import { PacedPlatform, type CompletedWrite } from './paced-surface.ts';

const TOKENS_PER_SECOND = 50;
const SURFACE_LATENCY_MS = 50;
const EDITS_PER_WINDOW = 5;
const WINDOW_MS = 5_000;
// Discord's adapter defaults (adapters/discord/surface.ts).
const MAX_CHARS = 2_000;
const MIN_EDIT_INTERVAL_MS = 1_000;
const WORKER_INSTANCES = 10;
const WORKER_CONCURRENCY = 100;
const RUN_TIMEOUT_MS = 90_000;
// "Visible within one surface round trip": the write itself takes SURFACE_LATENCY_MS, so this
// allows 10 ms on top for the pacer's Redis reservation and scheduling.
const FIRST_TEXT_GOAL_MS = SURFACE_LATENCY_MS + 10;

const now = (): number => performance.now();

export interface PipelineScenario {
  label: string;
  jobs: number;
  /** Answers streaming into one channel at once (1: every job its own channel). */
  answersPerChannel: number;
}

export const DEFAULT_SCENARIOS: PipelineScenario[] = [
  { label: 'N=100', jobs: 100, answersPerChannel: 1 },
  { label: 'N=500', jobs: 500, answersPerChannel: 1 },
  { label: 'N=1000', jobs: 1000, answersPerChannel: 1 },
  { label: 'N=100, 10/channel', jobs: 100, answersPerChannel: 10 },
];

/** What one answer went through, stamped in this (the worker) process. */
interface Trace {
  seed: number;
  expected: string;
  enqueuedAt: number;
  activeAt: number | undefined;
  completedAt: number | undefined;
  failed: string | undefined;
  /** When the agent loop asked the LLM client for the stream. */
  streamCalledAt: number | undefined;
  /** Arrival of each text delta at the worker, and the answer's length once it was added. */
  deltaAt: number[];
  deltaEnd: number[];
  /** Completed surface writes: when, and how much of the expected text they showed. */
  writeAt: number[];
  writeShown: number[];
  /** Surface write starts, parallel to writeAt. */
  writeStartAt: number[];
  /** The channel pacer's Redis reservations for this answer's channel: call and reply times. */
  reserveStart: number[];
  reserveEnd: number[];
  finalText: string | undefined;
  finalWrites: number;
  retries: number;
}

export interface ScenarioResult {
  scenario: PipelineScenario;
  metrics: Record<string, number | string>;
  goal: string;
}

/** A full GC without `--expose-gc` on the command line (`npm run bench` does not pass it). */
function collectGarbage(): void {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as (() => void) | undefined;
  gc?.();
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = Float64Array.from(values).sort();
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank] ?? Number.NaN;
}

function commonPrefix(text: string, expected: string): number {
  const limit = Math.min(text.length, expected.length);
  let index = 0;
  while (index < limit && text.charCodeAt(index) === expected.charCodeAt(index)) index += 1;
  return index;
}

const round1 = (value: number): number => Math.round(value * 10) / 10;

interface Upstream {
  ready: UpstreamReady;
  stats(): Promise<UpstreamStats>;
  stop(): void;
}

/** Starts the fake OfoxAI in a child process, so its CPU is not charged to the worker. */
async function startUpstream(): Promise<Upstream> {
  const script = fileURLToPath(new URL('./fake-upstream.ts', import.meta.url));
  const child: ChildProcess = fork(script, [String(TOKENS_PER_SECOND)], {
    execArgv: ['--experimental-strip-types', '--no-warnings'],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const ready = await new Promise<UpstreamReady>((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if ((message as { kind?: string }).kind === 'ready') {
        child.off('exit', onExit);
        resolve(message as UpstreamReady);
      }
    };
    const onExit = (code: number | null): void => reject(new Error(`fake upstream exited early (${code})`));
    child.on('message', onMessage);
    child.once('exit', onExit);
  });
  return {
    ready,
    stats: () =>
      new Promise<UpstreamStats>((resolve) => {
        const onMessage = (message: unknown): void => {
          if ((message as { kind?: string }).kind !== 'stats') return;
          child.off('message', onMessage);
          resolve(message as UpstreamStats);
        };
        child.on('message', onMessage);
        child.send('stats');
      }),
    stop() {
      // Disconnecting is the child's cue to close its server and exit; kill it if that hangs.
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      timer.unref();
      child.once('exit', () => clearTimeout(timer));
    },
  };
}

async function runScenario(scenario: PipelineScenario, upstream: Upstream, redisUrl: string): Promise<ScenarioResult> {
  const prefix = `ofox-bench-${randomBytes(4).toString('hex')}`;
  // The team's upstream budget is not what this bench measures (benchEnv lifts it).
  const config = loadConfig(
    benchEnv(upstream.ready, prefix, redisUrl),
    '/nonexistent/.env',
  );
  const core = await createCore({ config, log: silentLogger(), env: {}, startTools: true });
  // Started inside; stopped (and the keys deleted) however the run ends.
  let role: WorkerRole | undefined;
  try {
    const traces: Trace[] = [];
    const bySeed = new Map<number, Trace>();
    const byJobId = new Map<string, Trace>();
    const byMessageId = new Map<string, Trace>();
    let tokens = 0;
    let liveStreams = 0;
    let peakStreams = 0;

    // Stamps every text delta the moment the worker's agent loop receives it.
    const inner: LlmClient = core.llm;
    core.llm = {
      listModels: (options) => inner.listModels(options),
      streamChat(request, options) {
        const last = request.messages.at(-1);
        const trace = bySeed.get(seedOf(typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? '')) ?? -1);
        if (trace && trace.streamCalledAt === undefined) trace.streamCalledAt = now();
        const events = inner.streamChat(request, options);
        // A bare iterator rather than an async generator: one `then` per event is all the bench adds
        // to the worker's hot path.
        return {
          [Symbol.asyncIterator](): AsyncIterator<LlmEvent> {
            const iterator = events[Symbol.asyncIterator]();
            let length = 0;
            let open = true;
            const close = (): void => {
              if (!open) return;
              open = false;
              liveStreams -= 1;
            };
            liveStreams += 1;
            peakStreams = Math.max(peakStreams, liveStreams);
            return {
              next: () =>
                iterator.next().then(
                  (result) => {
                    if (result.done) close();
                    else if (result.value.type === 'text') {
                      tokens += 1;
                      length += result.value.delta.length;
                      trace?.deltaAt.push(now());
                      trace?.deltaEnd.push(length);
                    } else if (result.value.type === 'retry') {
                      length = 0;
                      if (trace) trace.retries += 1;
                    }
                    return result;
                  },
                  (error: unknown) => {
                    close();
                    throw error;
                  },
                ),
              return: async (value?: unknown) => {
                close();
                return (await iterator.return?.(value)) ?? { done: true, value: undefined };
              },
            };
          },
        };
      },
    };

    const platform = new PacedPlatform({
      latencyMs: SURFACE_LATENCY_MS,
      editsPerWindow: EDITS_PER_WINDOW,
      windowMs: WINDOW_MS,
      maxChars: MAX_CHARS,
      minEditIntervalMs: MIN_EDIT_INTERVAL_MS,
      now,
      onWrite(write: CompletedWrite) {
        const trace = byMessageId.get(write.messageId);
        if (!trace) return;
        // Only how much of the answer each write showed is kept, not the text: 1000 streams stay small.
        trace.writeAt.push(write.completedAt);
        trace.writeStartAt.push(write.startedAt);
        trace.writeShown.push(commonPrefix(write.text, trace.expected));
        if (write.final) {
          trace.finalText = write.text;
          trace.finalWrites += 1;
        }
      },
    });

    // The channel pacer runs one `evalsha` per reservation on a connection of its own (opened by the
    // worker role through `core.connect`); timing those splits "first token → visible" into its
    // parts. The pacer's first key is the channel budget's waiting line (`…:pace:<channel key>:q`);
    // other scripts' keys match no trace.
    const byChannel = new Map<string, Trace>();
    const connect = core.connect.bind(core);
    core.connect = (connectionRole) => {
      const connection = connect(connectionRole);
      const evalsha = connection.evalsha.bind(connection) as (...args: unknown[]) => Promise<unknown>;
      (connection as unknown as { evalsha: (...args: unknown[]) => Promise<unknown> }).evalsha = async (...args: unknown[]) => {
        const startedAt = now();
        const key = String(args[2]);
        try {
          return await evalsha(...args);
        } finally {
          if (key.includes(':pace:')) {
            const trace = byChannel.get(key.slice(key.indexOf(':pace:') + ':pace:'.length).replace(/:q$/, ''));
            trace?.reserveStart.push(startedAt);
            trace?.reserveEnd.push(now());
          }
        }
      };
      return connection;
    };

    role = await startWorkerRole(core, [platform], { instances: WORKER_INSTANCES, concurrency: WORKER_CONCURRENCY });
    let done = 0;
    let allDone: () => void = () => {};
    const finished = new Promise<void>((resolve) => {
      allDone = resolve;
    });
    const settle = (trace: Trace | undefined): void => {
      if (!trace || trace.completedAt !== undefined) return;
      trace.completedAt = now();
      done += 1;
      if (done === scenario.jobs) allDone();
    };
    for (const worker of role.pool.workers) {
      worker.on('active', (job) => {
        const trace = byJobId.get(job.id ?? '');
        if (trace && trace.activeAt === undefined) trace.activeAt = now();
      });
      worker.on('completed', (job) => settle(byJobId.get(job.id ?? '')));
      worker.on('failed', (job, error) => {
        const trace = byJobId.get(job?.id ?? '');
        // A failure with attempts left is retried by BullMQ; only a final one ends the job.
        if (trace && job && job.attemptsMade >= (job.opts.attempts ?? 1)) {
          trace.failed = error.message;
          settle(trace);
        }
      });
    }

    const runTag = randomBytes(3).toString('hex');
    const channels = Math.ceil(scenario.jobs / scenario.answersPerChannel);
    const placeholders = await Promise.all(
      Array.from({ length: scenario.jobs }, async (_, index) => {
        const seed = index + 1;
        const trace: Trace = {
          seed,
          expected: answerFor(seed),
          enqueuedAt: 0,
          activeAt: undefined,
          completedAt: undefined,
          failed: undefined,
          streamCalledAt: undefined,
          deltaAt: [],
          deltaEnd: [],
          writeAt: [],
          writeShown: [],
          writeStartAt: [],
          reserveStart: [],
          reserveEnd: [],
          finalText: undefined,
          finalWrites: 0,
          retries: 0,
        };
        traces.push(trace);
        bySeed.set(seed, trace);
        const placeholder = await platform.postPlaceholder(`chan-${runTag}-${index % channels}`);
        byMessageId.set(placeholder.id, trace);
        // Shared channels are not attributed: their reservations belong to several answers.
        if (scenario.answersPerChannel === 1) byChannel.set(`bench:${placeholder.channelId}`, trace);
        return { trace, placeholder };
      }),
    );

    const loopDelay = monitorEventLoopDelay({ resolution: 10 });
    // Collect the previous run's garbage first, so "before" is this run's baseline, not its leftovers.
    collectGarbage();
    const memoryBefore = process.memoryUsage();
    const rssBefore = memoryBefore.rss;
    let rssPeak = rssBefore;
    let heapPeak = memoryBefore.heapUsed;
    const sampler = setInterval(() => {
      const memory = process.memoryUsage();
      rssPeak = Math.max(rssPeak, memory.rss);
      heapPeak = Math.max(heapPeak, memory.heapUsed);
    }, 100);
    const upstreamBefore = await upstream.stats();
    const cpuBefore = process.cpuUsage();
    loopDelay.enable();
    const startedAt = now();

    // All at once, as a burst of mentions would arrive; each job's clock starts at its own call.
    let enqueueFailures = 0;
    await Promise.all(
      placeholders.map(async ({ trace, placeholder }) => {
        const eventId = `bench-${runTag}-${trace.seed}`;
        // Known before the call: a worker may take the job before `enqueue` returns.
        byJobId.set(jobIdFor('bench', eventId), trace);
        trace.enqueuedAt = now();
        try {
          await core.ingress.enqueue({
            v: 1,
            eventId,
            platform: 'bench',
            workspaceId: 'bench-team',
            channelId: placeholder.channelId,
            userId: 'bench-user',
            userName: 'Ada',
            prompt: promptFor(trace.seed),
            placeholder,
            createdAt: Date.now(),
          });
        } catch (error) {
          enqueueFailures += 1;
          trace.failed = `enqueue: ${String(error)}`;
          settle(trace);
        }
      }),
    );
    const timedOut = await Promise.race([finished.then(() => false), new Promise<boolean>((resolve) => setTimeout(() => resolve(true), RUN_TIMEOUT_MS).unref())]);
    const cpu = process.cpuUsage(cpuBefore);
    loopDelay.disable();
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage.rss());
    const upstreamAfter = await upstream.stats();

    // Per-answer timings.
    const completed = traces.filter((trace) => trace.completedAt !== undefined && trace.failed === undefined);
    const lastCompletion = Math.max(...traces.map((trace) => trace.completedAt ?? 0));
    const wallMs = (timedOut ? now() : lastCompletion) - startedAt;
    const pickup: number[] = [];
    const firstWrite: number[] = [];
    const firstVisible: number[] = [];
    const staleness: number[] = [];
    const pacerRtt: number[] = [];
    const activeToStream: number[] = [];
    const streamToFirstToken: number[] = [];
    // First text's way to the screen: token → pacer call, pacer round trip, pacer reply → write, write.
    const toReserve: number[] = [];
    const reserveRtt: number[] = [];
    const toWrite: number[] = [];
    const writeMs: number[] = [];
    let neverShown = 0;
    let mismatches = 0;
    let retries = 0;
    for (const trace of traces) {
      retries += trace.retries;
      if (trace.activeAt !== undefined) pickup.push(trace.activeAt - trace.enqueuedAt);
      if (trace.activeAt !== undefined && trace.streamCalledAt !== undefined) activeToStream.push(trace.streamCalledAt - trace.activeAt);
      if (trace.streamCalledAt !== undefined && trace.deltaAt[0] !== undefined) streamToFirstToken.push(trace.deltaAt[0] - trace.streamCalledAt);
      const firstWriteAt = trace.writeAt[0];
      if (firstWriteAt !== undefined) firstWrite.push(firstWriteAt - trace.enqueuedAt);
      // Staleness: for each delta, the first completed write that shows it. Both sequences grow, so
      // one pass with two cursors finds them all.
      let cursor = 0;
      let seenText = false;
      for (let index = 0; index < trace.deltaAt.length; index += 1) {
        const arrived = trace.deltaAt[index] ?? 0;
        // The renderer trims trailing whitespace (it shows as nothing), so a delta is shown once its
        // visible characters are; a whitespace-only delta has nothing to show and is not counted.
        const end = trace.expected.slice(0, trace.deltaEnd[index] ?? 0).trimEnd().length;
        if (end === 0 || (index > 0 && end === trace.expected.slice(0, trace.deltaEnd[index - 1] ?? 0).trimEnd().length)) continue;
        while (cursor < trace.writeAt.length && ((trace.writeAt[cursor] ?? 0) < arrived || (trace.writeShown[cursor] ?? 0) < end)) cursor += 1;
        if (cursor >= trace.writeAt.length) {
          neverShown += 1;
          continue;
        }
        const lag = (trace.writeAt[cursor] ?? 0) - arrived;
        staleness.push(lag);
        if (!seenText) {
          firstVisible.push(lag);
          const writeStart = trace.writeStartAt[cursor] ?? 0;
          let reservation = -1;
          for (let call = 0; call < trace.reserveEnd.length; call += 1) if ((trace.reserveEnd[call] ?? Infinity) <= writeStart) reservation = call;
          if (reservation >= 0) {
            toReserve.push((trace.reserveStart[reservation] ?? 0) - arrived);
            reserveRtt.push((trace.reserveEnd[reservation] ?? 0) - (trace.reserveStart[reservation] ?? 0));
            toWrite.push(writeStart - (trace.reserveEnd[reservation] ?? 0));
          }
          writeMs.push((trace.writeAt[cursor] ?? 0) - writeStart);
        }
        seenText = true;
      }
      for (let call = 0; call < trace.reserveEnd.length; call += 1) pacerRtt.push((trace.reserveEnd[call] ?? 0) - (trace.reserveStart[call] ?? 0));
      // The renderer adds no footer to a complete answer and puts the feedback control in the
      // options, not the text, so the final write must be exactly the model's text.
      if (trace.finalText !== trace.expected || trace.finalWrites !== 1 || trace.failed !== undefined) mismatches += 1;
    }
    mismatches += platform.workerCreates;

    const cpuMs = (cpu.user + cpu.system) / 1000;
    const p50 = (values: number[]): number => round1(percentile(values, 50));
    const p99 = (values: number[]): number => round1(percentile(values, 99));
    const firstVisibleP99 = percentile(firstVisible, 99);
    const metrics: Record<string, number | string> = {
      'jobs completed / failed': `${completed.length} / ${traces.length - completed.length}${timedOut ? ' (timed out)' : ''}`,
      'peak concurrent streams': peakStreams,
      'wall s (first enqueue → last completion)': round1(wallMs / 1000),
      'jobs/s': round1(completed.length / (wallMs / 1000)),
      'pickup ms p50 / p99 (enqueue → job active)': `${p50(pickup)} / ${p99(pickup)}`,
      '  job active → LLM stream requested ms p50 / p99': `${p50(activeToStream)} / ${p99(activeToStream)}`,
      '  LLM stream requested → first token ms p50 / p99 (fake waits 20 ms)': `${p50(streamToFirstToken)} / ${p99(streamToFirstToken)}`,
      'enqueue → first write done ms p50 / p99': `${p50(firstWrite)} / ${p99(firstWrite)}`,
      'first token → visible ms p50 / p99': `${p50(firstVisible)} / ${p99(firstVisible)}`,
      '  first text: token → pacer call ms p50 / p99': toReserve.length ? `${p50(toReserve)} / ${p99(toReserve)}` : '-',
      '  first text: pacer Redis round trip ms p50 / p99': reserveRtt.length ? `${p50(reserveRtt)} / ${p99(reserveRtt)}` : '-',
      '  first text: pacer reply → write start ms p50 / p99': toWrite.length ? `${p50(toWrite)} / ${p99(toWrite)}` : '-',
      '  first text: surface write ms p50 / p99': `${p50(writeMs)} / ${p99(writeMs)}`,
      'pacer Redis round trip, all ms p50 / p99': pacerRtt.length ? `${p50(pacerRtt)} / ${p99(pacerRtt)}` : '-',
      'staleness ms p50 / p99': `${p50(staleness)} / ${p99(staleness)}`,
      'deltas never shown': neverShown,
      'surface writes (429s)': `${platform.writes} (${platform.rateLimited})`,
      '429s: ms too early, p50 / max': platform.rateLimited === 0 ? '-' : `${p50(platform.rateLimitShortfallsMs)} / ${round1(Math.max(...platform.rateLimitShortfallsMs))}`,
      'max writes in flight per message': platform.maxInFlightPerMessage,
      'final-text mismatches': mismatches,
      'stream retries': retries,
      'tokens streamed': tokens,
      'worker CPU ms / 1k tokens': round1((cpuMs / Math.max(1, tokens)) * 1000),
      'worker CPU % of one core': Math.round((cpuMs / wallMs) * 100),
      'upstream (child) CPU ms / 1k tokens': round1(((upstreamAfter.cpuMs - upstreamBefore.cpuMs) / Math.max(1, tokens)) * 1000),
      'event-loop delay ms p50 / p99 / max (10 ms sampling)': `${round1(loopDelay.percentile(50) / 1e6)} / ${round1(loopDelay.percentile(99) / 1e6)} / ${round1(loopDelay.max / 1e6)}`,
      'RSS before / peak MB': `${Math.round(rssBefore / 1e6)} / ${Math.round(rssPeak / 1e6)}`,
      'JS heap used before / peak MB': `${Math.round(memoryBefore.heapUsed / 1e6)} / ${Math.round(heapPeak / 1e6)}`,
      'RSS KB per concurrent stream': Math.round((rssPeak - rssBefore) / 1024 / scenario.jobs),
      'JS heap KB per concurrent stream (peak, garbage included)': Math.round((heapPeak - memoryBefore.heapUsed) / 1024 / scenario.jobs),
    };
    if (enqueueFailures > 0) metrics['enqueue failures'] = enqueueFailures;

    const mark = (ok: boolean): string => (ok ? 'PASS' : 'MISS');
    const goal = [
      `${scenario.label}: ${scenario.jobs} concurrent streams on one worker ${mark(peakStreams >= scenario.jobs && completed.length === scenario.jobs)} (peak ${peakStreams}, ${completed.length} completed)`,
      `429s ${mark(platform.rateLimited === 0)} (${platform.rateLimited})`,
      `mismatches ${mark(mismatches === 0)} (${mismatches})`,
      `first token visible ≤ ${FIRST_TEXT_GOAL_MS} ms p99 ${mark(firstVisibleP99 <= FIRST_TEXT_GOAL_MS)} (p50 ${p50(firstVisible)}, p99 ${round1(firstVisibleP99)} ms)`,
    ].join(' | ');
    return { scenario, metrics, goal };
  } finally {
    await role?.stop(2_000).catch(() => {});
    await core.close();
    await deleteKeys(redisUrl, prefix);
  }
}

/** Runs each scenario in turn (one worker process: this one) and returns one result per scenario. */
export async function benchPipeline(scenarios: PipelineScenario[] = DEFAULT_SCENARIOS): Promise<ScenarioResult[]> {
  const redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const upstream = await startUpstream();
  try {
    // A short unreported run first: JIT, the pacer's Lua script and the sockets are warm for N=100.
    await runScenario({ label: 'warm-up', jobs: 50, answersPerChannel: 1 }, upstream, redisUrl);
    const results: ScenarioResult[] = [];
    for (const scenario of scenarios) results.push(await runScenario(scenario, upstream, redisUrl));
    return results;
  } finally {
    upstream.stop();
  }
}

/** Metrics as rows, scenarios as columns: twenty metrics read better down than across. */
export function pipelineTable(results: ScenarioResult[]): Array<Record<string, number | string>> {
  const names = Object.keys(results[0]?.metrics ?? {});
  return names.map((name) => {
    const row: Record<string, number | string> = { metric: name };
    for (const result of results) row[result.scenario.label] = result.metrics[name] ?? '';
    return row;
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // An optional argument picks scenarios by label, e.g. `bench/pipeline.ts N=1000`.
  const only = process.argv[2];
  const results = await benchPipeline(only ? DEFAULT_SCENARIOS.filter((scenario) => scenario.label.includes(only)) : DEFAULT_SCENARIOS);
  console.table(pipelineTable(results));
  for (const result of results) console.log(`goal ${result.goal}`);
  process.exit(0);
}
