/**
 * Parse throughput of our OfoxAI client against the official `openai` SDK: both read the same
 * ~20 MB Chat Completions stream (text deltas and a few tool calls) replayed byte for byte by the
 * fake OfoxAI over loopback HTTP, so the difference is SSE parsing and event normalizing.
 *
 *   node --experimental-strip-types bench/llm-parse.ts
 */
import OpenAI from 'openai';
import { createLlmClient } from '../src/llm/index.ts';
import { raw, startFakeOfox } from '../test/fakes/ofox/index.ts';

const TARGET_BYTES = 20 * 1024 * 1024;
const RUNS = 5;
const MODEL = 'openai/gpt-4o';
const API_KEY = 'bench-key';

interface Generated {
  bytes: Uint8Array;
  textChars: number;
  toolCalls: number;
}

/** A long answer in realistic chunks (mixed scripts, a few parallel tool calls along the way). */
function generateStream(targetBytes: number): Generated {
  const words = ['streaming', 'tokens', 'arrive', 'quickly,', 'café', 'naïve', '数据', '流式', '🚀', 'résumé', 'and', 'then', 'more', 'text.'];
  const parts: string[] = [];
  let size = 0;
  let textChars = 0;
  let toolCalls = 0;
  let sequence = 0;
  const push = (chunk: Record<string, unknown>): void => {
    const frame = `data: ${JSON.stringify({ id: 'chatcmpl-bench', object: 'chat.completion.chunk', created: 1, model: MODEL, ...chunk })}\n\n`;
    parts.push(frame);
    size += Buffer.byteLength(frame);
  };
  push({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  while (size < targetBytes) {
    sequence += 1;
    const content = `${words[sequence % words.length]} ${words[(sequence * 7) % words.length]} `;
    textChars += content.length;
    push({ choices: [{ index: 0, delta: { content }, finish_reason: null }] });
  }
  // A few parallel tool calls at the end, arguments in many fragments, as a real turn would have.
  for (let call = 0; call < 4; call++) {
    toolCalls += 1;
    push({ choices: [{ index: 0, delta: { tool_calls: [{ index: call, id: `call_${call}`, type: 'function', function: { name: 'search', arguments: '' } }] }, finish_reason: null }] });
  }
  for (let fragment = 0; fragment < 50; fragment++) {
    for (let call = 0; call < 4; call++) {
      const text = fragment === 0 ? '{"query":"' : fragment === 49 ? `part ${fragment}"}` : `part ${fragment} `;
      push({ choices: [{ index: 0, delta: { tool_calls: [{ index: call, function: { arguments: text } }] }, finish_reason: null }] });
    }
  }
  push({ choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
  push({ choices: [], usage: { prompt_tokens: 10, completion_tokens: sequence, total_tokens: sequence + 10 } });
  parts.push('data: [DONE]\n\n');
  return { bytes: new TextEncoder().encode(parts.join('')), textChars, toolCalls };
}

interface RunResult {
  seconds: number;
  events: number;
  textChars: number;
  toolCalls: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export async function benchLlmParse(): Promise<Array<Record<string, string | number>>> {
  const stream = generateStream(TARGET_BYTES);
  const megabytes = stream.bytes.length / 1e6;
  const fake = await startFakeOfox({ apiKey: API_KEY, responder: () => [raw(stream.bytes, { chunkSize: 64 * 1024 })] });
  try {
    const ours = createLlmClient({ apiKey: API_KEY, openaiBaseUrl: fake.openaiBaseUrl, anthropicBaseUrl: fake.anthropicBaseUrl, protocol: 'openai', maxAttempts: 1 });
    const sdk = new OpenAI({ baseURL: fake.openaiBaseUrl, apiKey: API_KEY, maxRetries: 0 });
    const messages = [{ role: 'user' as const, content: 'go' }];

    const runOurs = async (): Promise<RunResult> => {
      const started = performance.now();
      let events = 0;
      let textChars = 0;
      let toolCalls = 0;
      for await (const event of ours.streamChat({ model: MODEL, messages })) {
        events += 1;
        if (event.type === 'text') textChars += event.delta.length;
        else if (event.type === 'tool-call') toolCalls += 1;
      }
      return { seconds: (performance.now() - started) / 1000, events, textChars, toolCalls };
    };

    const runSdk = async (): Promise<RunResult> => {
      const started = performance.now();
      let events = 0;
      let textChars = 0;
      const calls = new Set<number>();
      const response = await sdk.chat.completions.create({ model: MODEL, messages, stream: true, stream_options: { include_usage: true } });
      for await (const chunk of response) {
        events += 1;
        const delta = chunk.choices[0]?.delta;
        if (delta?.content) textChars += delta.content.length;
        for (const call of delta?.tool_calls ?? []) calls.add(call.index);
      }
      return { seconds: (performance.now() - started) / 1000, events, textChars, toolCalls: calls.size };
    };

    const contenders = [
      { name: 'ofox-bot src/llm (undici + eventsource-parser)', run: runOurs },
      { name: 'openai SDK 7 (official)', run: runSdk },
    ];
    const results = new Map<string, RunResult[]>(contenders.map((contender) => [contender.name, []]));
    // One warm-up each, then alternate so neither side always runs on a warmer JIT or socket pool.
    for (const contender of contenders) await contender.run();
    for (let run = 0; run < RUNS; run++) {
      for (const contender of contenders) results.get(contender.name)?.push(await contender.run());
    }

    const rows: Array<Record<string, string | number>> = [];
    const medians: number[] = [];
    for (const contender of contenders) {
      const runs = results.get(contender.name) ?? [];
      const check = runs[0];
      if (check === undefined || check.textChars !== stream.textChars || check.toolCalls !== stream.toolCalls) {
        throw new Error(`${contender.name} read the stream wrongly: ${JSON.stringify(check)}`);
      }
      const throughput = runs.map((result) => megabytes / result.seconds);
      const medianMbps = median(throughput);
      medians.push(medianMbps);
      rows.push({
        bench: 'llm-parse',
        implementation: contender.name,
        'stream MB': Number(megabytes.toFixed(1)),
        runs: runs.length,
        'median MB/s': Number(medianMbps.toFixed(1)),
        'best MB/s': Number(Math.max(...throughput).toFixed(1)),
        'median events/s': Math.round(median(runs.map((result) => result.events / result.seconds))),
        'events per run': check.events,
      });
    }
    const [oursMbps = 0, sdkMbps = 0] = medians;
    rows.push({
      bench: 'llm-parse',
      implementation: 'ratio ours / openai SDK (median MB/s)',
      'stream MB': Number(megabytes.toFixed(1)),
      runs: RUNS,
      'median MB/s': Number((oursMbps / sdkMbps).toFixed(2)),
      'best MB/s': '',
      'median events/s': '',
      'events per run': '',
    });
    return rows;
  } finally {
    await fake.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await benchLlmParse());
}
