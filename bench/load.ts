/**
 * Many answers at once, as a busy team would ask, on the project's own fake Discord and fake Slack
 * (which enforce the platforms' published limits with their bursts, and answer every API call 50 ms
 * later): the real core, BullMQ workers, OfoxAI client (against the fake OfoxAI in a child process,
 * 80 tokens at 20 tokens a second per answer), renderer, pacer (in Redis) and platform surfaces.
 *
 * Each mention enters the ingress sequence the core runs for every platform (claim → acknowledge →
 * placeholder only if the pacer has room to spare → enqueue); "mention → first text" is timed from
 * there. Times come from the fakes' own record of when each write took effect. The fake Discord runs
 * in a process of its own (`discord-process.ts`), as Discord counts requests on its own clock; so
 * does the fake Slack (`slack-process.ts`).
 *
 *   node --experimental-strip-types --no-warnings bench/load.ts
 */
// Registers every platform's config part, as the CLI does.
import '../src/cli/platforms.ts';
import { deleteKeys } from './redis-keys.ts';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createDiscordPorts } from '../adapters/discord/ports.ts';
import { InteractionTokenStore } from '../adapters/discord/interaction-tokens.ts';
import { DiscordMessages } from '../adapters/discord/messages.ts';
import { RateLimitObserver } from '../adapters/discord/rate-limit-observer.ts';
import { createDiscordRest } from '../adapters/discord/rest.ts';
import { DISCORD_BUDGET_DEFAULTS, discordPlaceholderRequest, discordTypingRequest } from '../adapters/discord/write-budgets.ts';
import { createSlackPorts } from '../adapters/slack/ports.ts';
import { RedisStreamStateStore } from '../adapters/slack/stream-state.ts';
import { STREAM_MARKER, StreamingSwitch, startStream } from '../adapters/slack/streaming.ts';
import { createSlackWebClient } from '../adapters/slack/web-client.ts';
import { SLACK_BUDGET_DEFAULTS, slackPlaceholderRequest } from '../adapters/slack/write-budgets.ts';
import { loadConfig, type Config } from '../src/config.ts';
import { silentLogger } from '../src/observability/logger.ts';
import type { ChatJobInput } from '../src/queue/chat-job.ts';
import type { MessageRef } from '../src/render/surface.ts';
import { RedisWritePacer } from '../src/render/redis-write-pacer.ts';
import { createCore, type Core } from '../src/runtime/core.ts';
import { startWorkerRole, type WorkerRole } from '../src/runtime/worker-role.ts';
import type { PlatformPorts } from '../src/worker/ports.ts';
import type { DiscordProcessCommand, DiscordProcessReady, DiscordProcessSummary, DiscordProcessWrite } from './discord-process.ts';
import type { SlackProcessCommand, SlackProcessReady, SlackProcessSummary, SlackProcessWrite } from './slack-process.ts';
import { loadAnswerFor, loadPromptFor, loadRequestOf } from './answer-text.ts';
import type { UpstreamReady } from './fake-upstream.ts';
import { benchEnv } from './bench-env.ts';

const API_LATENCY_MS = 50;
const TOKENS = 80;
const TOKENS_PER_SECOND = 20;
const SAMPLE_EVERY_MS = 100;

export interface LoadScenario {
  label: string;
  answers: number;
  channels: number;
  tokens: number;
  tokensPerSecond: number;
}

export const LOAD_SCENARIOS: LoadScenario[] = [
  { label: 'one answer alone', answers: 1, channels: 1, tokens: TOKENS, tokensPerSecond: TOKENS_PER_SECOND },
  { label: '5 at once in one channel', answers: 5, channels: 1, tokens: TOKENS, tokensPerSecond: TOKENS_PER_SECOND },
  { label: '50 at once over 10 channels', answers: 50, channels: 10, tokens: TOKENS, tokensPerSecond: TOKENS_PER_SECOND },
  { label: '500 at once over 100 channels', answers: 500, channels: 100, tokens: TOKENS, tokensPerSecond: TOKENS_PER_SECOND },
];

/** About 9,500 characters (1,500 plain words), streamed at 150 tokens a second so the row takes ~10 s. */
export const LONG_ANSWER: LoadScenario = { label: 'one 9.5k-character answer', answers: 1, channels: 1, tokens: 1_500, tokensPerSecond: 150 };

interface Answer {
  seed: number;
  channel: string;
  expected: string[];
  arrivedAt: number;
  /** Writes as they took effect: how many expected words the answer's messages showed, and whether it was the finished state. */
  writes: Array<{ at: number; words: number; final: boolean }>;
  /** The answer's messages (Discord parts; Slack: one) and what each shows. */
  parts: Map<string, string>;
  partOrder: string[];
  /** When each token (word) of the answer reached the worker from the model. */
  tokenTimes: number[];
  failed?: string;
}

export interface LoadRow {
  scenario: string;
  completed: string;
  '429s': number;
  writes: number;
  'mention → first text p50 / p99 ms': string;
  'staleness p99 ms': number | string;
  'last token → final text p99 ms': number | string;
  'last answer complete after model end ms': number | string;
  /** `limitFloorMs`: what the platform's limits alone need for one write (or post) per answer. */
  'limits floor ms': number;
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? Number.NaN;
}

function matchingWords(shown: string, expected: string[]): number {
  const words = shown.split(/\s+/).filter(Boolean);
  let count = 0;
  while (count < words.length && count < expected.length && words[count] === expected[count]) count += 1;
  return count;
}

function record(answer: Answer, messageId: string, text: string, final: boolean, at = Date.now()): void {
  if (!answer.parts.has(messageId)) answer.partOrder.push(messageId);
  answer.parts.set(messageId, text);
  const shown = answer.partOrder.map((id) => answer.parts.get(id) ?? '').join(' ');
  answer.writes.push({ at, words: matchingWords(shown, answer.expected), final });
}

interface Upstream {
  ready: UpstreamReady;
  stop(): void;
}

async function startUpstream(): Promise<Upstream> {
  const script = fileURLToPath(new URL('./fake-upstream.ts', import.meta.url));
  const child: ChildProcess = fork(script, ['20'], { execArgv: ['--experimental-strip-types', '--no-warnings'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const ready = await new Promise<UpstreamReady>((resolve, reject) => {
    child.on('message', (message: unknown) => {
      if ((message as { kind?: string }).kind === 'ready') resolve(message as UpstreamReady);
    });
    child.once('exit', (code) => reject(new Error(`fake upstream exited early (${code})`)));
  });
  return {
    ready,
    stop() {
      if (child.connected) child.disconnect();
      const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
      timer.unref();
      child.once('exit', () => clearTimeout(timer));
    },
  };
}

function benchConfig(upstream: Upstream, prefix: string, redisUrl: string, platform: Record<string, string>, answers: number): Config {
  return loadConfig(
    {
      ...benchEnv(upstream.ready, prefix, redisUrl),
      // Every answer starts at once: enough slots in the worker for all of them.
      WORKER_INSTANCES: String(Math.max(1, Math.ceil(answers / 100))),
      WORKER_CONCURRENCY: '100',
      ...platform,
    },
    '/nonexistent/.env',
  );
}

interface PlatformRun {
  /** Sends mention `index` and runs the ingress sequence for it; resolves with the answer once enqueued. */
  mention(index: number, channel: string, seed: number, prompt: string): Promise<void>;
  channels: string[];
  rateLimited(): number | Promise<number>;
  writes(): number | Promise<number>;
  stop(): Promise<void>;
}

interface Harness {
  core: Core;
  pacer: RedisWritePacer;
  answers: Map<number, Answer>;
}

/** A fake platform in its own process (`discord-process.ts`, `slack-process.ts`), driven over IPC. */
interface FakeProcess<Ready, Command extends { call: number }, Write> {
  ready: Ready;
  call<T>(command: DistributiveOmit<Command, 'call'>): Promise<T>;
  onWrite: ((write: Write) => void) | undefined;
  stop(): Promise<void>;
}

type DiscordProcess = FakeProcess<DiscordProcessReady, DiscordProcessCommand, DiscordProcessWrite>;
type SlackProcess = FakeProcess<SlackProcessReady, SlackProcessCommand, SlackProcessWrite>;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

async function startFakeProcess<Ready extends { kind: 'ready' }, Command extends { call: number }, Write extends { kind: 'write' }>(
  file: string,
  name: string,
): Promise<FakeProcess<Ready, Command, Write>> {
  const script = fileURLToPath(new URL(file, import.meta.url));
  const child = fork(script, [String(API_LATENCY_MS)], { execArgv: ['--experimental-strip-types', '--no-warnings'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, (value: unknown) => void>();
  let calls = 0;
  let readyResolve: (ready: Ready) => void = () => {};
  const ready = new Promise<Ready>((resolve, reject) => {
    readyResolve = resolve;
    child.once('exit', (code) => reject(new Error(`${name} exited early (${code})`)));
  });
  const process_: FakeProcess<Ready, Command, Write> = {
    ready: undefined as unknown as Ready,
    onWrite: undefined,
    call<T>(command: DistributiveOmit<Command, 'call'>): Promise<T> {
      calls += 1;
      const call = calls;
      return new Promise<T>((resolve) => {
        pending.set(call, resolve as (value: unknown) => void);
        child.send({ ...command, call });
      });
    },
    stop() {
      return new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        if (child.connected) child.disconnect();
        setTimeout(() => child.kill('SIGKILL'), 2_000).unref();
      });
    },
  };
  child.on('message', (raw: unknown) => {
    const message = raw as Ready | Write | { kind: 'reply'; call: number; value: unknown };
    if (message.kind === 'ready') readyResolve(message as Ready);
    else if (message.kind === 'write') process_.onWrite?.(message as Write);
    else {
      const reply = message as { call: number; value: unknown };
      pending.get(reply.call)?.(reply.value);
      pending.delete(reply.call);
    }
  });
  process_.ready = await ready;
  return process_;
}

async function discordRun(harness: Harness, config: Config, fake: DiscordProcess, channels: number): Promise<PlatformRun> {
  const { ready } = fake;
  const channelIds = [ready.channelId, ...(await Promise.all(Array.from({ length: channels - 1 }, (_, index) => fake.call<string>({ op: 'addTextChannel', name: `load-${index}` }))))];
  const rest = createDiscordRest(config);
  const observer = new RateLimitObserver(rest);
  const messages = new DiscordMessages({ rest, applicationId: ready.applicationId, tokens: new InteractionTokenStore({ redis: harness.core.redis, prefix: config.REDIS_KEY_PREFIX }) });
  const byQuestion = new Map<string, Answer>();
  const byMessage = new Map<string, Answer>();
  fake.onWrite = (write) => {
    let answer = byMessage.get(write.id);
    if (!answer && write.create && write.replyTo) answer = byQuestion.get(write.replyTo) ?? byMessage.get(write.replyTo);
    if (!answer) return;
    byMessage.set(write.id, answer);
    record(answer, write.id, write.content, !write.streaming, write.at);
  };
  let summary: DiscordProcessSummary | undefined;
  const summarize = async () => (summary ??= await fake.call<DiscordProcessSummary>({ op: 'summary' }));
  return {
    channels: channelIds,
    async mention(_index, channel, seed, prompt) {
      const answer = harness.answers.get(seed)!;
      answer.arrivedAt = Date.now();
      const questionId = await fake.call<string>({ op: 'userSays', channelId: channel, content: prompt });
      byQuestion.set(questionId, answer);
      if (!(await harness.core.ingress.claimEvent('discord', questionId))) return;
      // Acknowledge without spending the message budget: typing, when its own bucket has room.
      const typing = discordTypingRequest(channel);
      if (await harness.pacer.tryReserveNow(typing.budgets, { spare: typing.spare })) await messages.typing(channel).catch(() => {});
      const request = discordPlaceholderRequest(observer, channel);
      let placeholder: MessageRef | undefined;
      if (await harness.pacer.tryReserveNow(request.budgets, { spare: request.spare })) placeholder = await messages.post(channel, { content: '_Thinking…_' }, questionId);
      const job: ChatJobInput = {
        v: 1,
        eventId: questionId,
        platform: 'discord',
        workspaceId: ready.guildId,
        channelId: channel,
        messageId: questionId,
        // As the real gateway records it: a plain mention replies to nothing.
        replyTo: null,
        userId: ready.aliceId,
        prompt,
        createdAt: Date.now(),
        ...(placeholder ? { placeholder } : {}),
      };
      await harness.core.ingress.enqueue(job);
    },
    async rateLimited() {
      const { rateLimited, routes } = await summarize();
      if (process.env.LOAD_DEBUG) console.log(routes);
      return rateLimited;
    },
    writes: async () => (await summarize()).writes,
    async stop() {
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    },
  };
}

async function slackRun(harness: Harness, config: Config, slack: SlackProcess, channels: number): Promise<PlatformRun> {
  const { ready } = slack;
  const channelIds = Array.from({ length: channels }, (_, index) => `C${String(index + 1).padStart(4, '0')}`);
  const client = createSlackWebClient(config, { retryConfig: { retries: 0 } });
  const streaming = new StreamingSwitch('native');
  const byThread = new Map<string, Answer>();
  slack.onWrite = (write) => {
    const answer = write.threadTs ? byThread.get(`${write.channel}:${write.threadTs}`) : undefined;
    if (answer) record(answer, write.ts, write.text, write.final, write.at);
  };
  let summary: SlackProcessSummary | undefined;
  const summarize = async () => (summary ??= await slack.call<SlackProcessSummary>({ op: 'summary' }));
  return {
    channels: channelIds,
    async mention(_index, channel, seed, prompt) {
      const answer = harness.answers.get(seed)!;
      answer.arrivedAt = Date.now();
      const questionTs = await slack.call<string>({ op: 'userSays', channel, user: 'UALICE', text: `<@${ready.botUserId}> ${prompt}` });
      byThread.set(`${channel}:${questionTs}`, answer);
      if (!(await harness.core.ingress.claimEvent('slack', questionTs))) return;
      // The placeholder is the answer's stream, started now when the channel's post budget has a
      // token: the first text then goes out as an append, from a larger budget.
      const request = slackPlaceholderRequest(ready.teamId, channel);
      let placeholder: MessageRef | undefined;
      if (await harness.pacer.tryReserveNow(request.budgets, { spare: request.spare })) {
        // As the real ingress stamps it: before the call, so the stream's age is never understated.
        const startedAt = String(Date.now());
        // As the real ingress does, a placeholder that failed (a 429, say) leaves the first text to the worker.
        const ts = await startStream(client, { channel, threadTs: questionTs, userId: 'UALICE', teamId: ready.teamId, controls: { kind: 'stop', jobId: `slack-${questionTs}` } }, streaming).catch(() => undefined);
        if (ts) placeholder = { id: ts, channelId: channel, extra: { threadTs: questionTs, stream: STREAM_MARKER, startedAt } };
      }
      await harness.core.ingress.enqueue({
        v: 1,
        eventId: questionTs,
        platform: 'slack',
        workspaceId: ready.teamId,
        channelId: channel,
        messageId: questionTs,
        userId: 'UALICE',
        prompt,
        createdAt: Date.now(),
        ...(placeholder ? { placeholder } : {}),
      });
    },
    async rateLimited() {
      const { rateLimited, methods, firstChannelPosts } = await summarize();
      if (process.env.LOAD_DEBUG) console.log(methods, firstChannelPosts);
      return rateLimited;
    },
    writes: async () => (await summarize()).writes,
    async stop() {},
  };
}

async function runScenario(platform: 'discord' | 'slack', scenario: LoadScenario, upstream: Upstream, redisUrl: string): Promise<LoadRow> {
  const prefix = `ofox-load-${randomBytes(4).toString('hex')}`;
  const discord = platform === 'discord' ? await startFakeProcess<DiscordProcessReady, DiscordProcessCommand, DiscordProcessWrite>('./discord-process.ts', 'fake Discord') : undefined;
  const slack = platform === 'slack' ? await startFakeProcess<SlackProcessReady, SlackProcessCommand, SlackProcessWrite>('./slack-process.ts', 'fake Slack') : undefined;
  await slack?.call({ op: 'addUser', id: 'UALICE', name: 'alice' });
  const env: Record<string, string> = discord
    ? { DISCORD_TOKEN: discord.ready.token, DISCORD_APPLICATION_ID: discord.ready.applicationId, DISCORD_API_URL: discord.ready.apiUrl }
    : { SLACK_BOT_TOKEN: slack!.ready.botToken, SLACK_SIGNING_SECRET: 'bench', SLACK_API_URL: slack!.ready.apiUrl, SLACK_STREAMING: 'native' };
  const config = benchConfig(upstream, prefix, redisUrl, env, scenario.answers);
  const core = await createCore({ config, log: silentLogger(), env: {}, startTools: true });
  const pacerRedis = core.connect('client');
  const harness: Harness = { core, pacer: new RedisWritePacer({ redis: pacerRedis, prefix }), answers: new Map() };
  let role: WorkerRole | undefined;
  let run: PlatformRun | undefined;
  let ports: (PlatformPorts & { close?(): Promise<void> }) | undefined;
  try {
    ports = discord
      ? createDiscordPorts(config, silentLogger(), { redis: core.redis })
      : createSlackPorts(config, silentLogger(), { streamStates: new RedisStreamStateStore(core.redis, { prefix }) });
    // The model's tokens as the worker receives them: "last token" means the last one to arrive.
    const streamChat = core.llm.streamChat.bind(core.llm);
    core.llm.streamChat = (request, options) => {
      const last = request.messages.at(-1);
      const seed = loadRequestOf(typeof last?.content === 'string' ? last.content : JSON.stringify(last?.content ?? ''))?.seed;
      const answer = seed === undefined ? undefined : harness.answers.get(seed);
      return (async function* () {
        for await (const event of streamChat(request, options)) {
          if (answer && event.type === 'text') for (const _word of event.delta.split(/\s+/).filter(Boolean)) answer.tokenTimes.push(Date.now());
          yield event;
        }
      })();
    };
    role = await startWorkerRole(core, [ports]);
    run = discord ? await discordRun(harness, config, discord, scenario.channels) : await slackRun(harness, config, slack!, scenario.channels);
    const seeds = Array.from({ length: scenario.answers }, (_, index) => 10_000 + index);
    for (const [index, seed] of seeds.entries()) {
      harness.answers.set(seed, {
        seed,
        channel: run.channels[index % scenario.channels]!,
        expected: loadAnswerFor(seed, scenario.tokens).split(' '),
        arrivedAt: 0,
        writes: [],
        parts: new Map(),
        partOrder: [],
        tokenTimes: [],
      });
    }
    const mentions = await Promise.allSettled(
      seeds.map((seed, index) => run!.mention(index, harness.answers.get(seed)!.channel, seed, loadPromptFor(seed, scenario.tokens, scenario.tokensPerSecond))),
    );
    for (const [index, mention] of mentions.entries()) if (mention.status === 'rejected') harness.answers.get(seeds[index]!)!.failed = String(mention.reason);
    const streamMs = ((scenario.tokens - 1) * 1000) / scenario.tokensPerSecond;
    // However fast the bot, the platform's published limits need this long for every answer's
    // writes; the bench waits for that too, so a saturated row still ends with every answer.
    const deadline = Date.now() + streamMs + limitFloorMs(platform, scenario.answers, 2) + 60_000;
    const done = (answer: Answer) => answer.writes.some((write) => write.final && write.words === answer.expected.length);
    while (Date.now() < deadline && [...harness.answers.values()].some((answer) => !answer.failed && !done(answer))) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    // Late writes (none expected) would show here as more writes than the finished state needed.
    await new Promise((resolve) => setTimeout(resolve, 300));
    return summarize(scenario, [...harness.answers.values()], await run.rateLimited(), await run.writes(), limitFloorMs(platform, scenario.answers));
  } finally {
    await role?.stop(2_000).catch(() => {});
    await run?.stop();
    await ports?.close?.();
    pacerRedis.disconnect();
    await core.close();
    await discord?.stop();
    await slack?.stop();
    await deleteKeys(redisUrl, prefix);
  }
}

/**
 * The least time the published limits allow for `answers` answers asked at once, if each costs
 * `callsPerAnswer` calls of its scarcest kind. Discord: requests, from the bot's 45 a second.
 * Slack: post-class calls (a post, a stream start or stop) from the workspace's 100 a minute, burst
 * 100. One each is the floor (the final text posted once); a streamed answer costs two.
 */
export function limitFloorMs(platform: 'discord' | 'slack', answers: number, callsPerAnswer = 1): number {
  if (platform === 'discord') return Math.ceil(((answers * callsPerAnswer) / DISCORD_BUDGET_DEFAULTS.botRequestsPerSecond) * 1_000);
  const { postsPerMinute } = SLACK_BUDGET_DEFAULTS;
  return Math.ceil((Math.max(0, answers * callsPerAnswer - postsPerMinute) / postsPerMinute) * 60_000);
}

function summarize(scenario: LoadScenario, answers: Answer[], rateLimited: number, writes: number, floorMs: number): LoadRow {
  const firstText: number[] = [];
  const finalLag: number[] = [];
  const staleness: number[] = [];
  let completed = 0;
  let lastComplete = -Infinity;
  let lastModelEnd = -Infinity;
  for (const answer of answers) {
    const first = answer.writes.find((write) => write.words > 0);
    if (first) firstText.push(first.at - answer.arrivedAt);
    const final = answer.writes.find((write) => write.final && write.words === answer.expected.length);
    const times = answer.tokenTimes;
    const modelEnd = times.at(-1);
    if (modelEnd === undefined || times.length < answer.expected.length) continue;
    lastModelEnd = Math.max(lastModelEnd, modelEnd);
    if (!final) continue;
    completed += 1;
    finalLag.push(final.at - modelEnd);
    lastComplete = Math.max(lastComplete, final.at);
    // How old the oldest token not yet on screen is, every 100 ms from the first token until the answer is whole.
    let shown = 0;
    let next = 0;
    let emitted = 0;
    for (let at = times[0]!; at <= final.at; at += SAMPLE_EVERY_MS) {
      while (next < answer.writes.length && answer.writes[next]!.at <= at) shown = answer.writes[next++]!.words;
      while (emitted < times.length && times[emitted]! <= at) emitted += 1;
      staleness.push(shown < emitted ? at - times[shown]! : 0);
    }
  }
  const round = (value: number) => (Number.isFinite(value) ? Math.round(value) : '-');
  return {
    scenario: scenario.label,
    completed: `${completed}/${answers.length}`,
    '429s': rateLimited,
    writes,
    'mention → first text p50 / p99 ms': firstText.length ? `${round(percentile(firstText, 50))} / ${round(percentile(firstText, 99))}` : '-',
    'staleness p99 ms': round(percentile(staleness, 99)),
    'last token → final text p99 ms': round(percentile(finalLag, 99)),
    'last answer complete after model end ms': round(lastComplete - lastModelEnd),
    'limits floor ms': floorMs,
  };
}

/** Every load scenario on both platforms, plus the long single answer. */
export async function benchLoad(
  redisUrl = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  only: { platform?: 'discord' | 'slack'; scenario?: number } = {},
): Promise<{ discord: LoadRow[]; slack: LoadRow[] }> {
  const upstream = await startUpstream();
  try {
    const tables = { discord: [] as LoadRow[], slack: [] as LoadRow[] };
    const scenarios = [...LOAD_SCENARIOS, LONG_ANSWER];
    for (const platform of ['discord', 'slack'] as const) {
      if (only.platform && only.platform !== platform) continue;
      for (const [index, scenario] of scenarios.entries()) {
        if (only.scenario === undefined || only.scenario === index) tables[platform].push(await runScenario(platform, scenario, upstream, redisUrl));
      }
    }
    return tables;
  } finally {
    upstream.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  // `bench/load.ts discord 1` runs one scenario of one platform (while tuning).
  const [only, index] = process.argv.slice(2);
  const tables = await benchLoad(undefined, only === 'discord' || only === 'slack' ? { platform: only, scenario: index === undefined ? undefined : Number(index) } : {});
  console.log('\n## load: Discord\n');
  console.table(tables.discord);
  console.log('\n## load: Slack\n');
  console.table(tables.slack);
  process.exit(0);
}
