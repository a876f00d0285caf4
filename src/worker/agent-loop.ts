import type { Logger } from '../observability/logger.ts';
import type { ChatMessage, ChatRequest, FinishReason, LlmClient, RateLimitInfo, ReasoningBlock, ToolSpec } from '../llm/types.ts';
import type { ToolStatus } from '../render/surface.ts';
import type { ReasoningObserver } from './reasoning-display.ts';

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
  /** What the tool produced (an uploaded file's name): the tool line shows it instead of the input. */
  produced?: string;
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
   * earlier rounds wrote, so a tool loop cannot spend past it. @defaultValue every round proceeds
   */
  beforeRound?: (check: RoundCheck) => Promise<RoundVerdict>;
  /** Hears the model's reasoning, apart from the answer's text. @defaultValue reasoning is dropped */
  reasoning?: ReasoningObserver;
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

/** What one model round produced. */
export interface RoundResult {
  text: string;
  calls: ToolCallToRun[];
  inputTokens: number;
  outputTokens: number;
  cachedInputTokens: number;
  cacheWriteTokens: number;
  finishReason: FinishReason;
  /** A retry threw away text people had already seen. */
  retriedVisibleText: boolean;
  /** The round's signed thinking blocks, replayed with its tool calls. */
  reasoning: ReasoningBlock[];
}

/** Shown while the model sends nothing (a slow first token, a stalled stream and its retries). */
export const SLOW_MODEL_NOTICE = '⏳ the model is slow to respond…';

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

/**
 * Model rounds until the model answers without tool calls: each round starts at `startRound`
 * (the seam for anything that must hold before a paid model request), streams into the view,
 * and runs the round's tool calls before the next. Past `maxRounds` one last round asks for an
 * answer without tools.
 */
export async function runAgentLoop(options: AgentLoopOptions): Promise<AgentResult> {
  const { log } = options;
  const messages: ChatMessage[] = [...options.request.messages];
  const roundTexts: string[] = [];
  const statuses: ToolStatus[] = [];
  const specs = options.tools.specs();
  const usage: RoundUsage = { inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0 };
  let retried = false;

  for (let round = 1; ; round += 1) {
    const verdict = await startRound(options, { round, usage: { ...usage }, estimatedInputTokens: Math.ceil(JSON.stringify(messages).length / 4) });
    if (!verdict.proceed) {
      return { text: joinRounds(roundTexts), rounds: round - 1, ...usage, finishReason: 'stop', hitRoundLimit: false, retried, stoppedReason: verdict.reason };
    }
    // Tools stay declared on the last round: both protocols want them while the transcript holds tool calls.
    const request: ChatRequest = { ...options.request, messages, ...(specs.length > 0 ? { tools: specs } : {}) };
    if (round > 1) options.reasoning?.nextRound();
    const result = await streamRound(options, request, joinRounds(roundTexts), (text) => {
      roundTexts[round - 1] = text;
    });
    usage.inputTokens += result.inputTokens;
    usage.outputTokens += result.outputTokens;
    usage.cachedInputTokens += result.cachedInputTokens;
    usage.cacheWriteTokens += result.cacheWriteTokens;
    retried ||= result.retriedVisibleText;

    const lastRound = round > options.maxRounds;
    if (result.calls.length === 0 || lastRound) {
      return {
        text: joinRounds(roundTexts),
        rounds: round,
        ...usage,
        finishReason: result.finishReason,
        hitRoundLimit: result.calls.length > 0,
        retried,
      };
    }

    messages.push({
      role: 'assistant',
      content: result.text,
      toolCalls: result.calls.map(({ id, name, input }) => ({ id, name, input })),
      ...(result.reasoning.length > 0 ? { reasoning: result.reasoning } : {}),
    });
    messages.push(...(await runToolRound(options, result.calls, statuses)));
    if (round >= options.maxRounds) {
      // One last round, so the model answers with what it has instead of stopping mid-thought.
      log.info({ rounds: round }, 'tool round limit reached; asking for a final answer');
      messages.push({ role: 'user', content: `(The tool-call limit of ${options.maxRounds} rounds is reached. Answer now with what you have; do not call tools.)` });
    }
  }
}

/**
 * Everything that must hold before a model round is requested (and paid for): not stopped, the
 * spending budget (`beforeRound`), the team's request budget. A refusal of the spending budget is
 * the verdict; the others throw or wait.
 */
export async function startRound(options: Pick<AgentLoopOptions, 'budget' | 'view' | 'signal' | 'beforeRound'>, check: RoundCheck): Promise<RoundVerdict> {
  const { budget, view, signal } = options;
  signal.throwIfAborted();
  if (options.beforeRound) {
    const verdict = await options.beforeRound(check);
    if (!verdict.proceed) return verdict;
  }
  if (!budget) return { proceed: true };
  await budget.take(signal, (waitMs) => view.setNotice(`⏳ queued: waiting ${Math.ceil(waitMs / 1000)} s for the team's model budget…`));
  view.setNotice(undefined);
  return { proceed: true };
}

/**
 * Streams one model round into the view: `earlier` (the previous rounds' text) stays, this
 * round's text grows after it, and a retry replaces this round's text, never appends to it.
 * `onText` hears this round's text as it stands.
 */
export async function streamRound(
  options: Pick<AgentLoopOptions, 'llm' | 'budget' | 'view' | 'signal' | 'log' | 'reasoning'>,
  request: ChatRequest,
  earlier: string,
  onText: (text: string) => void,
): Promise<RoundResult> {
  const { llm, budget, view, signal, log, reasoning } = options;
  const result: RoundResult = { text: '', calls: [], inputTokens: 0, outputTokens: 0, cachedInputTokens: 0, cacheWriteTokens: 0, finishReason: 'stop', retriedVisibleText: false, reasoning: [] };
  let slowShown = false;
  const modelSpoke = (): void => {
    if (!slowShown) return;
    slowShown = false;
    view.setNotice(undefined);
  };
  const stream = llm.streamChat(request, {
    signal,
    onRateLimit: budget ? (info) => void budget.observe(info).catch(() => {}) : undefined,
    onSlow: () => {
      slowShown = true;
      view.setNotice(SLOW_MODEL_NOTICE);
    },
  });
  try {
    for await (const event of stream) {
      switch (event.type) {
        case 'text':
          modelSpoke();
          reasoning?.answering();
          result.text += event.delta;
          onText(result.text);
          view.setBody(appendRound(earlier, result.text));
          break;
        case 'reasoning':
          modelSpoke();
          // Never part of the answer's text: it goes to its own line (or file), by the channel's setting.
          reasoning?.delta(event.delta);
          break;
        case 'reasoning-block':
          result.reasoning.push(event.block);
          break;
        case 'tool-call':
          modelSpoke();
          reasoning?.answering();
          // A nameless call (a gateway quirk) cannot be replayed under an empty name; it gets an error result.
          result.calls.push({ id: event.id, name: event.name || 'unknown_tool', input: event.input, invalid: event.invalid });
          break;
        case 'usage':
          result.inputTokens = event.inputTokens;
          result.outputTokens = event.outputTokens;
          result.cachedInputTokens = event.cachedInputTokens ?? 0;
          result.cacheWriteTokens = event.cacheWriteTokens ?? 0;
          break;
        case 'retry':
          // Only a retry that threw away visible text changes what people saw.
          if (result.text.length > 0) result.retriedVisibleText = true;
          result.text = '';
          result.calls = [];
          result.inputTokens = 0;
          result.outputTokens = 0;
          result.cachedInputTokens = 0;
          result.cacheWriteTokens = 0;
          result.reasoning = [];
          reasoning?.retried();
          onText('');
          view.setBody(earlier);
          log.warn({ attempt: event.attempt, delayMs: event.delayMs, reason: event.reason }, 'model stream retried');
          break;
        case 'finish':
          result.finishReason = event.reason;
          break;
      }
    }
  } finally {
    modelSpoke();
  }
  return result;
}

/** Runs one round's tool calls side by side, showing each one's state; returns the results the model reads next. */
export async function runToolRound(
  options: Pick<AgentLoopOptions, 'tools' | 'view' | 'signal'>,
  calls: readonly ToolCallToRun[],
  statuses: ToolStatus[],
): Promise<ChatMessage[]> {
  const { tools, view, signal } = options;
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
      if (outcome.ok && outcome.produced) status.summary = outcome.produced;
      if (!outcome.ok) status.error = outcome.display ?? outcome.output.split('\n')[0]?.slice(0, 120);
      view.setTools([...statuses]);
      return { call, outcome };
    }),
  );
  signal.throwIfAborted();
  return results.map(({ call, outcome }) => ({ role: 'tool', toolCallId: call.id, toolName: call.name, content: outcome.output, isError: !outcome.ok }));
}
