/**
 * Every bench, one after another, each printed as a titled table.
 *
 *   npm run bench        (node --experimental-strip-types --no-warnings bench/index.ts)
 *
 * The pipeline bench runs first: it measures this process's RSS and CPU, and the parse bench's
 * 20 MB buffers would otherwise have grown the heap before it starts.
 */
// Registers every platform's config part, as the CLI does.
import '../src/cli/platforms.ts';
import { benchCrashRecovery, crashRecoveryTable } from './crash-recovery.ts';
import { benchLlmParse } from './llm-parse.ts';
import { benchLoad } from './load.ts';
import { benchPipeline, pipelineTable } from './pipeline.ts';

function title(text: string): void {
  console.log(`\n## ${text}\n`);
}

const started = performance.now();
try {
  title('pipeline: N concurrent answers → Redis/BullMQ → one worker → fake OfoxAI (child, 50 tok/s) → Discord-shaped surface (50 ms, 5 edits / 5 s / channel)');
  const results = await benchPipeline();
  console.table(pipelineTable(results));
  console.log('goal: 1000 concurrent streams on one worker, zero 429s, zero mismatches, first token visible within one surface round trip (50 ms + 10 ms allowance, p99)');
  for (const result of results) console.log(`  ${result.goal}`);

  const load = await benchLoad();
  const loadGoal =
    'goal: 0 × 429 on Discord, ≤ 1 per 100 writes on Slack; 5 in one channel and 50 over 10: first text p99 ≤ 1.5 s (Discord) / 2.5 s (Slack), last answer complete ≤ model end + 5 s (Discord) / + 3 s (Slack); last token → final text ≤ 1 s p99 for a single answer';
  title('load: Discord (fake Discord: 5 writes / 5 s per channel for creates and edits, 50 requests / s per bot, typing apart; 50 ms per call; 80 tokens at 20 tok/s)');
  console.table(load.discord);
  console.log(loadGoal);
  title('load: Slack (fake Slack: chat.update 50/min, appendStream 100/min, post/start/stop 1/s per channel burst 3 and 100/min per workspace; 50 ms per call; 80 tokens at 20 tok/s)');
  console.table(load.slack);
  console.log(loadGoal);

  title('llm-parse: SSE parse throughput, src/llm vs the openai SDK');
  console.table(await benchLlmParse());

  title("crash-recovery: two worker processes at the default JOB_LOCK_MS; the one streaming an answer is SIGKILLed, 10 times; crash → the other worker's next write of that answer");
  console.table(crashRecoveryTable(await benchCrashRecovery()));

  console.log(`\nbenches done in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  process.exit(0);
} catch (error) {
  console.error('bench failed:', error);
  process.exit(1);
}
