import type { ApprovalOutcome } from './approval/approval-types.ts';
import type { Tool, ToolContext } from './tool.ts';

export type ToolRunStatus = 'ok' | 'invalid-input' | 'unknown-tool' | 'denied' | 'timed-out' | 'cancelled' | 'failed';

/** What the agent loop hands back to the model. Tool failures are results, never exceptions. */
export interface ToolRunResult {
  ok: boolean;
  /** The text the model sees: the tool's output, or why it failed. */
  output: string;
  durationMs: number;
  /** Why it ended, for logs and metrics. */
  status: ToolRunStatus;
  /** What a successful tool produced (a file's name), for the tool line. */
  produced?: string;
}

export interface RunToolOptions {
  /**
   * Asked before a tool whose policy requires approval runs, with the validated input.
   * Without it such a tool is refused, so a missing approval surface never means "approved".
   */
  approve?: (tool: Tool, input: unknown) => Promise<ApprovalOutcome>;
}

const TRUNCATION_MARKER = '\n…[output truncated: showing {shown} of {total} characters]';

/**
 * Validates, asks for approval when the policy says so, runs with the policy's timeout (the tool
 * gets an AbortSignal and we also race it, so a tool that ignores the signal cannot hang the job)
 * and caps the output. Never throws.
 */
export async function runTool(tool: Tool, input: unknown, context: ToolContext, options: RunToolOptions = {}): Promise<ToolRunResult> {
  const started = performance.now();
  const finish = (status: ToolRunStatus, output: string): ToolRunResult => ({
    ok: status === 'ok',
    output,
    status,
    durationMs: Math.round(performance.now() - started),
  });

  const validation = tool.validate(input);
  if (!validation.ok) return finish('invalid-input', `Invalid arguments for ${tool.name}: ${validation.error}`);

  if (tool.policy.requiresApproval) {
    if (!options.approve) return finish('denied', `${tool.name} needs approval, and approvals are not available here.`);
    let outcome: ApprovalOutcome;
    try {
      outcome = await options.approve(tool, validation.value);
    } catch (error) {
      return finish('failed', `Could not ask for approval to run ${tool.name}: ${errorMessage(error)}`);
    }
    if (outcome === 'denied') return finish('denied', `The user denied running ${tool.name}. Do not retry it; continue without it.`);
    if (outcome === 'timed-out') return finish('denied', `Nobody approved running ${tool.name} in time. Continue without it.`);
    if (outcome === 'cancelled') return finish('cancelled', `${tool.name} was cancelled before it ran.`);
  }

  if (context.signal.aborted) return finish('cancelled', `${tool.name} was cancelled before it ran.`);

  const timeoutController = new AbortController();
  const signal = AbortSignal.any([context.signal, timeoutController.signal]);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stopped = new Promise<'timed-out' | 'cancelled'>((resolve) => {
    timer = setTimeout(() => {
      timeoutController.abort(new Error(`timed out after ${tool.policy.timeoutMs} ms`));
      resolve('timed-out');
    }, tool.policy.timeoutMs);
    context.signal.addEventListener('abort', () => resolve('cancelled'), { once: true });
  });

  try {
    const running = tool.run(validation.value, { ...context, signal }).then(
      (output) => ({ kind: 'done' as const, output }),
      (error: unknown) => ({ kind: 'error' as const, error }),
    );
    const outcome = await Promise.race([running, stopped]);
    if (outcome === 'timed-out') return finish('timed-out', `${tool.name} timed out after ${tool.policy.timeoutMs} ms.`);
    if (outcome === 'cancelled') return finish('cancelled', `${tool.name} was cancelled.`);
    if (outcome.kind === 'error') {
      // A tool that failed because we aborted it reports the abort reason, not its own wording.
      if (timeoutController.signal.aborted) return finish('timed-out', `${tool.name} timed out after ${tool.policy.timeoutMs} ms.`);
      return finish('failed', `${tool.name} failed: ${errorMessage(outcome.error)}`);
    }
    const { output, produced } = typeof outcome.output === 'string' ? { output: outcome.output, produced: undefined } : outcome.output;
    const result = finish('ok', capOutput(String(output), tool.policy.outputCapChars));
    return produced ? { ...result, produced } : result;
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the named tool from `tools` (the ones enabled for this job); an unknown name is a result, not a throw. */
export async function runToolCall(
  tools: readonly Tool[],
  call: { name: string; input: unknown },
  context: ToolContext,
  options: RunToolOptions = {},
): Promise<ToolRunResult> {
  const tool = tools.find((candidate) => candidate.name === call.name);
  if (!tool) {
    const available = tools.map((candidate) => candidate.name).join(', ') || '(none)';
    return { ok: false, status: 'unknown-tool', durationMs: 0, output: `unknown tool ${call.name}; available: ${available}` };
  }
  return runTool(tool, call.input, context, options);
}

/** Cuts at `maxChars` (the marker included), so the model knows the text is incomplete. */
export function capOutput(output: string, maxChars: number): string {
  if (output.length <= maxChars) return output;
  const marker = (shown: number) => TRUNCATION_MARKER.replace('{shown}', String(shown)).replace('{total}', String(output.length));
  const keep = Math.max(0, maxChars - marker(maxChars).length);
  return output.slice(0, keep) + marker(keep);
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.message || error.name;
  return String(error);
}
