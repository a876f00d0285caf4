import type { Logger } from '../observability/logger.ts';
import type { ChatMessage, ChatRequest, FinishReason, LlmClient, RateLimitInfo, ToolSpec } from '../llm/types.ts';
import type { ToolStatus } from '../render/surface.ts';

/** What the loop shows; the processor binds it to a ProgressiveMessage. */
export interface AnswerView {
  setBody(text: string): void;
  setTools(statuses: ToolStatus[]): void;
  setNotice(text: string | undefined): void;
}

export interface ToolCallToRun {
  id: string;
  name: string;
  input: unknown;
  invalid?: { raw: string; message: string };
}

export interface ToolRunOutcome {
  ok: boolean;
  /** What the model reads. */
  output: string;
  durationMs: number;
  /** A short reason for people, when the model-facing output would read oddly in the chat. */
  display?: string;
}

/** The tools offered for this answer; `run` never throws: failures become results the model reads. */
export interface AgentTools {
  specs(): ToolSpec[];
  run(call: ToolCallToRun, options: { signal: AbortSignal; onState(state: ToolStatus['state']): void }): Promise<ToolRunOutcome>;
}

export interface UpstreamBudget {
  take(signal?: AbortSignal, onQueued?: (waitMs: number) => void): Promise<number>;
  observe(info: RateLimitInfo): Promise<void>;
}

/** Tokens used by the rounds so far (prompt tokens include cached ones). */
export interface RoundUsage {
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
}

/** What a `beforeRound` check sees: the round about to start and what the earlier ones used. */
export interface RoundCheck {
  round: number;
  usage: RoundUsage;
  /** A rough size of the prompt this round sends (characters / 4). */
  estimatedInputTokens: number;
}

export type RoundVerdict = { proceed: true } | { proceed: false; reason: string };

export interface AgentLoopOptions {
  llm: LlmClient;
  request: Omit<ChatRequest, 'tools'>;
  tools: AgentTools;
  view: AnswerView;
  budget?: UpstreamBudget;
  /** Model rounds before the loop gives up on tool calls. */
  maxRounds: number;
  /**
   * Asked before each model round (the spending budget): a refusal ends the answer with what the
   * earlier rounds wrote, so a tool loop cannot spend past it.
   */
  beforeRound?: (check: RoundCheck) => Promise<RoundVerdict>;
  signal: AbortSignal;
  log: Logger;
}

export interface AgentResult {
  text: string;
  rounds: number;
  inputTokens: number;
  outputTokens: number;
  /** Of `inputTokens`, read from / written to the provider's prompt cache. */
  cachedInputTokens: number;
  cacheWriteTokens: number;
  finishReason: FinishReason;
  /** The model still wanted tools when the round limit was reached. */
  hitRoundLimit: boolean;
  /** A stream broke mid-answer and was regenerated. */
  retried: boolean;
  /** `beforeRound` refused a round: why (the answer's footer says it). */
  stoppedReason?: string;
}

/** Text from earlier rounds stays; each round's text is replaced wholesale when its stream is retried. */
function joinRounds(rounds: string[]): string {
  return rounds.filter((text) => text.trim().length > 0).join('\n\n');
}

/** `joinRounds([...earlierRounds, text])`, given the earlier rounds already joined. */
function appendRound(earlier: string, text: string): string {
  if (text.trim().length === 0) return earlier;
  return earlier ? `${earlier}\n\n${text}` : text;
}

function summarize(input: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(input) ?? '';
  } catch {
    text = String(input);
  }
  if (text === '{}') return '';
  return text.length > 80 ? `${text.slice(0, 77)}…` : text;
}

export async function runAgentLoop(options: AgentLoopOptions): Promise<AgentResult> {
  const { llm, tools, view, budget, signal, log } = options;
  const messages: ChatMessage[] = [...options.request.messages];
  const roundTexts: string[] = [];
  const statuses: ToolStatus[] = [];
  const specs = tools.specs();
  let inputTokens = 0;
  let outputTokens = 0;
  let cachedInputTokens = 0;
  let cacheWriteTokens = 0;
  let retried = false;
  const totals = () => ({ inputTokens, outputTokens, cachedInputTokens, cacheWriteTokens });

  for (let round = 1; ; round += 1) {
    signal.throwIfAborted();
    const lastRound = round > options.maxRounds;
    if (options.beforeRound) {
      const verdict = await options.beforeRound({ round, usage: totals(), estimatedInputTokens: Math.ceil(JSON.stringify(messages).length / 4) });
      if (!verdict.proceed) {
        return { text: joinRounds(roundTexts), rounds: round - 1, ...totals(), finishReason: 'stop', hitRoundLimit: false, retried, stoppedReason: verdict.reason };
      }
    }
    if (budget) {
      await budget.take(signal, (waitMs) => view.setNotice(`⏳ queued: waiting ${Math.ceil(waitMs / 1000)} s for the team's model budget…`));
      view.setNotice(undefined);
    }

    let text = '';
    // Earlier rounds joined once per round: each delta then costs a cheap concatenation, not a
    // re-join of the whole answer.
    const earlier = joinRounds(roundTexts.slice(0, round - 1));
    let calls: ToolCallToRun[] = [];
    let roundInput = 0;
    let roundOutput = 0;
    let roundCached = 0;
    let roundCacheWrite = 0;
    let finishReason: FinishReason = 'stop';
    // Tools stay declared on the last round: both protocols want them while the transcript holds tool calls.
    const request: ChatRequest = { ...options.request, messages, ...(specs.length > 0 ? { tools: specs } : {}) };
    const stream = llm.streamChat(request, {
      signal,
      onRateLimit: budget ? (info) => void budget.observe(info).catch(() => {}) : undefined,
    });
    for await (const event of stream) {
      switch (event.type) {
        case 'text':
          text += event.delta;
          roundTexts[round - 1] = text;
          view.setBody(appendRound(earlier, text));
          break;
        case 'reasoning':
          break;
        case 'tool-call':
          // A nameless call (a gateway quirk) cannot be replayed under an empty name; it gets an error result.
          calls.push({ id: event.id, name: event.name || 'unknown_tool', input: event.input, invalid: event.invalid });
          break;
        case 'usage':
          roundInput = event.inputTokens;
          roundOutput = event.outputTokens;
          roundCached = event.cachedInputTokens ?? 0;
          roundCacheWrite = event.cacheWriteTokens ?? 0;
          break;
        case 'retry':
          // Only a retry that threw away visible text changes what people saw.
          if (text.length > 0) retried = true;
          text = '';
          calls = [];
          roundInput = 0;
          roundOutput = 0;
          roundCached = 0;
          roundCacheWrite = 0;
          roundTexts[round - 1] = '';
          view.setBody(earlier);
          log.warn({ attempt: event.attempt, delayMs: event.delayMs, reason: event.reason }, 'model stream retried');
          break;
        case 'finish':
          finishReason = event.reason;
          break;
      }
    }
    inputTokens += roundInput;
    outputTokens += roundOutput;
    cachedInputTokens += roundCached;
    cacheWriteTokens += roundCacheWrite;

    if (calls.length === 0) {
      return { text: joinRounds(roundTexts), rounds: round, ...totals(), finishReason, hitRoundLimit: false, retried };
    }
    if (lastRound) {
      return { text: joinRounds(roundTexts), rounds: round, ...totals(), finishReason, hitRoundLimit: true, retried };
    }

    messages.push({ role: 'assistant', content: text, toolCalls: calls.map(({ id, name, input }) => ({ id, name, input })) });
    const results = await Promise.all(
      calls.map(async (call) => {
        const status: ToolStatus = { id: call.id, name: call.name, summary: summarize(call.input), state: 'running' };
        statuses.push(status);
        view.setTools([...statuses]);
        const outcome = await tools.run(call, {
          signal,
          onState: (state) => {
            status.state = state;
            view.setTools([...statuses]);
          },
        });
        status.state = outcome.ok ? 'done' : 'failed';
        status.durationMs = outcome.durationMs;
        if (!outcome.ok) status.error = outcome.display ?? outcome.output.split('\n')[0]?.slice(0, 120);
        view.setTools([...statuses]);
        return { call, outcome };
      }),
    );
    signal.throwIfAborted();
    for (const { call, outcome } of results) {
      messages.push({ role: 'tool', toolCallId: call.id, toolName: call.name, content: outcome.output, isError: !outcome.ok });
    }
    if (round >= options.maxRounds) {
      // One last round, so the model answers with what it has instead of stopping mid-thought.
      log.info({ rounds: round }, 'tool round limit reached; asking for a final answer');
      messages.push({ role: 'user', content: `(The tool-call limit of ${options.maxRounds} rounds is reached. Answer now with what you have; do not call tools.)` });
    }
  }
}
