import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { Config } from '../config.ts';
import type { Logger } from '../observability/logger.ts';
import { createCore, type Core } from '../runtime/core.ts';
import { startWorkerRole } from '../runtime/worker-role.ts';
import type { SettingsScope } from '../settings/types.ts';
import { ToolCatalog } from '../tools/tool-catalog.ts';
import type { Tool } from '../tools/tool.ts';
import type { UsageRecord } from '../usage/types.ts';
import type { ChatAnswerResult } from '../worker/processor.ts';
import type { PlatformPorts } from '../worker/ports.ts';
import { askInTerminal } from '../../adapters/terminal/ingress.ts';
import { terminalConversation } from '../../adapters/terminal/context.ts';
import { TerminalSurface, type TerminalOutput } from '../../adapters/terminal/surface.ts';

/**
 * `ofox-bot ask "question"`: the whole pipeline with no chat platform. A real job goes through Redis
 * to a worker in this process, and the terminal surface draws it as it streams.
 */

export interface AskRequest {
  question: string;
  /** One-off model instead of OFOX_MODEL. */
  model?: string;
  /** One-off persona (system prompt), set on a channel of this run only. */
  persona?: string;
  /** Print one JSON object at the end instead of drawing. */
  json?: boolean;
}

export interface AskResult extends ChatAnswerResult {
  answer: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  firstTokenMs?: number;
  totalMs: number;
  tools: Array<{ name: string; input: unknown; result: string }>;
}

export async function runAsk(request: AskRequest, config: Config, log: Logger, env: Record<string, string | undefined>, output: TerminalOutput): Promise<AskResult> {
  const started = Date.now();
  const core = await createCore({ config, log, env });
  const surface = new TerminalSurface(request.json ? { write: () => true, isTTY: false } : output);
  const observed = observe(core, surface);
  const ports: PlatformPorts = { platform: 'terminal', surfaceFor: () => surface, conversation: terminalConversation };
  const workers = await startWorkerRole(observed.core, [ports], { instances: 1, concurrency: 4 });
  const user = safeUserName();
  // A persona lives in channel settings: give this run a channel of its own, so it applies once.
  const scope: SettingsScope = { platform: 'terminal', workspaceId: 'terminal', channelId: request.persona ? `terminal-${randomUUID()}` : 'terminal' };
  try {
    if (request.persona) await core.settings.update(scope, 'channel', { persona: request.persona });
    const model = request.model ?? (await core.settings.resolve(scope)).model ?? config.OFOX_MODEL;
    surface.start();
    const jobId = await submitQuestion(core, surface, { question: request.question, model: request.model, scope, user });
    const stop = () => void core.ingress.cancel(jobId, user);
    process.once('SIGINT', stop);
    let result: ChatAnswerResult;
    try {
      result = await waitForCompletion(core.producer.queue, jobId);
    } finally {
      process.off('SIGINT', stop);
    }
    const stats = { model, inputTokens: observed.usage.inputTokens, outputTokens: observed.usage.outputTokens, firstTokenMs: surface.firstTokenMs, totalMs: Date.now() - started };
    surface.finish(stats);
    const answer: AskResult = { ...result, ...stats, answer: surface.finalTexts.join('\n'), tools: observed.tools };
    if (request.json) output.write(`${JSON.stringify(answer)}\n`);
    return answer;
  } finally {
    if (request.persona) await core.settings.clear(scope, 'channel').catch(() => {});
    await workers.stop(1_000);
    await core.close();
  }
}

/**
 * Sends the question through the ingress pipeline (claim, gate, placeholder, job, enqueue) like a
 * message from any platform; returns the job's id, or throws a readable error when it was not queued.
 */
async function submitQuestion(core: Core, surface: TerminalSurface, question: { question: string; model: string | undefined; scope: SettingsScope; user: string }): Promise<string> {
  const outcome = await askInTerminal(core.ingress, surface, {
    prompt: question.question,
    user: question.user,
    channelId: question.scope.channelId,
    ...(question.model ? { model: question.model } : {}),
  });
  if (outcome.status !== 'queued') throw new Error(`the question was not queued (${outcome.status})`);
  return outcome.jobId;
}

/**
 * The worker sees the core; `ask` wants to show what passes through it: every tool's input and
 * result (the renderer only carries a one-line summary), and the tokens the usage store records.
 */
function observe(core: Core, surface: TerminalSurface): { core: Core; tools: AskResult['tools']; usage: { inputTokens: number; outputTokens: number } } {
  const tools: AskResult['tools'] = [];
  const usage = { inputTokens: 0, outputTokens: 0 };
  const wrap = (tool: Tool): Tool => ({
    name: tool.name,
    description: tool.description,
    inputSchema: tool.inputSchema,
    policy: tool.policy,
    ...(tool.source ? { source: tool.source } : {}),
    validate: (input) => tool.validate(input),
    run: async (input, context) => {
      const returned = await tool.run(input, context);
      const result = typeof returned === 'string' ? returned : returned.output;
      tools.push({ name: tool.name, input, result });
      surface.toolResult(tool.name, result);
      return returned;
    },
  });
  const cache = new WeakMap<Tool, Tool>();
  const catalog = new ToolCatalog({
    sources: [
      {
        tools: () =>
          core.tools.catalog.list().map((tool) => {
            let wrapped = cache.get(tool);
            if (!wrapped) cache.set(tool, (wrapped = wrap(tool)));
            return wrapped;
          }),
      },
    ],
  });
  const recordingUsage = Object.assign(Object.create(core.usage) as Core['usage'], {
    async record(record: UsageRecord) {
      usage.inputTokens += record.inputTokens;
      usage.outputTokens += record.outputTokens;
      return core.usage.record(record);
    },
  });
  return { core: { ...core, tools: { ...core.tools, catalog }, usage: recordingUsage }, tools, usage };
}

async function waitForCompletion(queue: { getJob(id: string): Promise<{ getState(): Promise<string>; returnvalue: unknown; failedReason?: string } | undefined> }, jobId: string): Promise<ChatAnswerResult> {
  for (;;) {
    const job = await queue.getJob(jobId);
    const state = await job?.getState();
    // Read again: the job object may predate its completion.
    if (state === 'completed') return (await queue.getJob(jobId))!.returnvalue as ChatAnswerResult;
    if (state === 'failed') return { outcome: 'error', chars: 0, rounds: 0, messages: [], error: job?.failedReason ?? 'failed' };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function safeUserName(): string {
  try {
    return userInfo().username || 'terminal-user';
  } catch {
    return 'terminal-user';
  }
}
