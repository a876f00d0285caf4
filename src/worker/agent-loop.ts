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

export interface AgentLoopOptions {
  llm: LlmClient;
  request: Omit<ChatRequest, 'tools'>;
  tools: AgentTools;
  view: AnswerView;
  budget?: UpstreamBudget;
  /** Model rounds before the loop gives up on tool calls. */
  maxRounds: number;
  signal: AbortSignal;
  log: Logger;
}

export interface AgentResult {
  text: string;
  rounds: number;
  inputTokens: number;
  outputTokens: number;
  finishReason: FinishReason;
  /** The model still wanted tools when the round limit was reached. */
  hitRoundLimit: boolean;
  /** A stream broke mid-answer and was regenerated. */
  retried: boolean;
}

/** What one model round produced. */
export interface RoundResult {
  text: string;
  calls: ToolCallToRun[];
  inputTokens: number;
  outputTokens: number;
  finishReason: FinishReason;
  /** A retry threw away text people had already seen. */
  retriedVisibleText: boolean;
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
  let inputTokens = 0;
  let outputTokens = 0;
  let retried = false;

  for (let round = 1; ; round += 1) {
    await startRound(options);
    // Tools stay declared on the last round: both protocols want them while the transcript holds tool calls.
    const request: ChatRequest = { ...options.request, messages, ...(specs.length > 0 ? { tools: specs } : {}) };
    const result = await streamRound(options, request, joinRounds(roundTexts), (text) => {
      roundTexts[round - 1] = text;
    });
    inputTokens += result.inputTokens;
    outputTokens += result.outputTokens;
    retried ||= result.retriedVisibleText;

    const lastRound = round > options.maxRounds;
    if (result.calls.length === 0 || lastRound) {
      return {
        text: joinRounds(roundTexts),
        rounds: round,
        inputTokens,
        outputTokens,
        finishReason: result.finishReason,
        hitRoundLimit: result.calls.length > 0,
        retried,
      };
    }

    messages.push({ role: 'assistant', content: result.text, toolCalls: result.calls.map(({ id, name, input }) => ({ id, name, input })) });
    messages.push(...(await runToolRound(options, result.calls, statuses)));
    if (round >= options.maxRounds) {
      // One last round, so the model answers with what it has instead of stopping mid-thought.
      log.info({ rounds: round }, 'tool round limit reached; asking for a final answer');
      messages.push({ role: 'user', content: `(The tool-call limit of ${options.maxRounds} rounds is reached. Answer now with what you have; do not call tools.)` });
    }
  }
}

/** Everything that must hold before a model round is requested (and paid for): not stopped, the team's request budget. */
export async function startRound(options: Pick<AgentLoopOptions, 'budget' | 'view' | 'signal'>): Promise<void> {
  const { budget, view, signal } = options;
  signal.throwIfAborted();
  if (!budget) return;
  await budget.take(signal, (waitMs) => view.setNotice(`⏳ queued: waiting ${Math.ceil(waitMs / 1000)} s for the team's model budget…`));
  view.setNotice(undefined);
}

/**
 * Streams one model round into the view: `earlier` (the previous rounds' text) stays, this
 * round's text grows after it, and a retry replaces this round's text, never appends to it.
 * `onText` hears this round's text as it stands.
 */
export async function streamRound(
  options: Pick<AgentLoopOptions, 'llm' | 'budget' | 'view' | 'signal' | 'log'>,
  request: ChatRequest,
  earlier: string,
  onText: (text: string) => void,
): Promise<RoundResult> {
  const { llm, budget, view, signal, log } = options;
  const result: RoundResult = { text: '', calls: [], inputTokens: 0, outputTokens: 0, finishReason: 'stop', retriedVisibleText: false };
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
          result.text += event.delta;
          onText(result.text);
          view.setBody(appendRound(earlier, result.text));
          break;
        case 'reasoning':
          modelSpoke();
          break;
        case 'tool-call':
          modelSpoke();
          // A nameless call (a gateway quirk) cannot be replayed under an empty name; it gets an error result.
          result.calls.push({ id: event.id, name: event.name || 'unknown_tool', input: event.input, invalid: event.invalid });
          break;
        case 'usage':
          result.inputTokens = event.inputTokens;
          result.outputTokens = event.outputTokens;
          break;
        case 'retry':
          // Only a retry that threw away visible text changes what people saw.
          if (result.text.length > 0) result.retriedVisibleText = true;
          result.text = '';
          result.calls = [];
          result.inputTokens = 0;
          result.outputTokens = 0;
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
      if (!outcome.ok) status.error = outcome.display ?? outcome.output.split('\n')[0]?.slice(0, 120);
      view.setTools([...statuses]);
      return { call, outcome };
    }),
  );
  signal.throwIfAborted();
  return results.map(({ call, outcome }) => ({ role: 'tool', toolCallId: call.id, toolName: call.name, content: outcome.output, isError: !outcome.ok }));
}
