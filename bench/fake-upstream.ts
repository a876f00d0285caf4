/**
 * The bench's fake OfoxAI, run as a child process (`fork`) so the worker process's CPU numbers
 * measure the worker alone. It streams `answerFor(seed)` at `tokensPerSecond` (one word per chunk)
 * and reports its own CPU on request over IPC. It exits when the parent disconnects.
 */
import { finish, startFakeOfox, text, usage } from '../test/fakes/ofox/index.ts';
import { answerFor, BENCH_API_KEY, loadAnswerFor, loadRequestOf, seedOf, tokensFor } from './answer-text.ts';

export interface UpstreamReady {
  kind: 'ready';
  openaiBaseUrl: string;
  anthropicBaseUrl: string;
}

export interface UpstreamStats {
  kind: 'stats';
  cpuMs: number;
  requests: number;
}

const tokensPerSecond = Number(process.argv[2] ?? '50');
let requests = 0;

const fake = await startFakeOfox({
  apiKey: BENCH_API_KEY,
  // The fake's default headers say "limit 1000", which the worker's RequestBudget adopts as 1000
  // requests per minute (~17 answers/s for the whole team); a large gateway limit keeps the
  // team budget out of this measurement while still exercising the header path.
  rateLimitHeaders: { 'x-ratelimit-limit-requests': '1000000', 'x-ratelimit-remaining-requests': '999999', 'x-ratelimit-reset-requests': '1s' },
  // The bench never reads `fake.requests`; keeping 1000s of parsed bodies would only grow the child.
  responder: (request) => {
    requests += 1;
    const load = loadRequestOf(request.lastUserText ?? '');
    if (load) {
      return [text(loadAnswerFor(load.seed, load.tokens), { tokensPerSecond: load.tokensPerSecond }), usage(10, load.tokens), finish('stop')];
    }
    const seed = seedOf(request.lastUserText ?? '');
    if (seed === undefined) return [text('not a bench prompt'), finish('stop')];
    return [text(answerFor(seed), { tokensPerSecond }), usage(10, tokensFor(seed)), finish('stop')];
  },
});

// The fake records every request; trim it so a long bench does not hold every body in memory.
const trim = setInterval(() => {
  fake.requests.length = 0;
}, 1_000);

process.on('message', (message: unknown) => {
  if (message === 'stats') {
    const cpu = process.cpuUsage();
    process.send?.({ kind: 'stats', cpuMs: (cpu.user + cpu.system) / 1000, requests } satisfies UpstreamStats);
  }
});
process.on('disconnect', () => {
  clearInterval(trim);
  void fake.close().finally(() => process.exit(0));
});

process.send?.({ kind: 'ready', openaiBaseUrl: fake.openaiBaseUrl, anthropicBaseUrl: fake.anthropicBaseUrl } satisfies UpstreamReady);
