import type { ChatRequest, LlmClient, LlmEvent, StreamOptions } from '../../../src/llm/types.ts';
import type { ToolStatus } from '../../../src/render/surface.ts';
import type { AgentTools, AnswerView, ToolCallToRun, ToolRunOutcome } from '../../../src/worker/agent-loop.ts';

/** One scripted step of a model round: an event, the model going quiet (`slow`), or a stream that hangs until aborted. */
export type ScriptStep = LlmEvent | { type: 'slow' } | { type: 'hang' };

/** A model that plays one script per `streamChat` call, in order, and records what it was asked. */
export class ScriptedLlm implements LlmClient {
  readonly requests: ChatRequest[] = [];
  private readonly rounds: Array<ScriptStep[] | ((request: ChatRequest) => ScriptStep[])>;

  constructor(rounds: Array<ScriptStep[] | ((request: ChatRequest) => ScriptStep[])>) {
    this.rounds = rounds;
  }

  async *streamChat(request: ChatRequest, options: StreamOptions = {}): AsyncGenerator<LlmEvent> {
    // A copy: the loop keeps appending to its transcript after the call.
    this.requests.push({ ...request, messages: [...request.messages] });
    const script = this.rounds[this.requests.length - 1];
    if (script === undefined) throw new Error(`no script for model round ${this.requests.length}`);
    for (const step of typeof script === 'function' ? script(request) : script) {
      options.signal?.throwIfAborted();
      if (step.type === 'slow') options.onSlow?.({ silentMs: 10_000 });
      else if (step.type === 'hang') await hangUntilAborted(options.signal);
      else yield step;
    }
  }

  async listModels() {
    return [];
  }
}

function hangUntilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_resolve, reject) => {
    signal?.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

export const say = (delta: string): LlmEvent => ({ type: 'text', delta });
export const call = (id: string, name: string, input: unknown = {}): LlmEvent => ({ type: 'tool-call', id, name, input });
export const usage = (inputTokens: number, outputTokens: number): LlmEvent => ({ type: 'usage', inputTokens, outputTokens });
export const done = (reason: Extract<LlmEvent, { type: 'finish' }>['reason'] = 'stop'): LlmEvent => ({ type: 'finish', reason });
export const retry = (attempt = 1): LlmEvent => ({ type: 'retry', attempt, delayMs: 0, reason: 'The OfoxAI stream broke off' });

/** Everything the loop showed, in order. */
export class RecordingView implements AnswerView {
  readonly bodies: string[] = [];
  readonly tools: ToolStatus[][] = [];
  readonly notices: Array<string | undefined> = [];
  setBody(text: string): void {
    this.bodies.push(text);
  }
  setTools(statuses: ToolStatus[]): void {
    this.tools.push(statuses.map((status) => ({ ...status })));
  }
  setNotice(text: string | undefined): void {
    this.notices.push(text);
  }
  get body(): string {
    return this.bodies.at(-1) ?? '';
  }
}

/** Tools by name, each a function of its input; any other name is answered like the real runner answers an unknown tool. */
export class FakeTools implements AgentTools {
  readonly calls: ToolCallToRun[] = [];
  private readonly tools: Record<string, (input: unknown, signal: AbortSignal) => Promise<FakeToolResult> | FakeToolResult>;

  constructor(tools: Record<string, (input: unknown, signal: AbortSignal) => Promise<FakeToolResult> | FakeToolResult>) {
    this.tools = tools;
  }

  specs() {
    return Object.keys(this.tools).map((name) => ({ name, description: `the ${name} tool`, inputSchema: { type: 'object' } }));
  }

  async run(toolCall: ToolCallToRun, options: { signal: AbortSignal }): Promise<ToolRunOutcome> {
    this.calls.push(toolCall);
    const tool = this.tools[toolCall.name];
    if (!tool) return { ok: false, durationMs: 0, output: `unknown tool ${toolCall.name}; available: ${Object.keys(this.tools).join(', ')}` };
    const result = await tool(toolCall.input, options.signal);
    return typeof result === 'string' ? { ok: true, durationMs: 5, output: result } : { ok: true, durationMs: 5, ...result };
  }
}

/** A tool's text, or its text and what it produced (a file's name). */
type FakeToolResult = string | { output: string; produced: string };
