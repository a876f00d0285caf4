import type { Logger } from '../observability/logger.ts';
import type { ChatJob } from '../queue/chat-job.ts';
import type { ResolvedSettings } from '../settings/types.ts';
import { runToolCall, summarizeToolInput, toolSpec, type ApprovalBroker, type Tool, type ToolCatalog, type ToolRunStatus } from '../tools/index.ts';
import type { ApprovalOutcome } from '../tools/approval/approval-types.ts';
import { SurfaceRateLimitedError } from '../render/surface.ts';
import { abortableSleep } from '../llm/index.ts';
import type { AgentTools } from './agent-loop.ts';
import type { AnswerToolsFactory } from './processor.ts';
import type { PlatformPorts } from './ports.ts';

export interface AnswerToolsOptions {
  catalog: ToolCatalog;
  /** Without a broker (or a platform without approval buttons), tools needing approval are refused. */
  approvals?: ApprovalBroker;
  log: Logger;
  /** Told when a tool call ends, for metrics and traces. @defaultValue none */
  onToolCall?(info: { tool: string; status: ToolRunStatus; durationMs: number }): void;
  /** Told when an approval is asked for and when it is decided. @defaultValue none */
  onApproval?(event: 'requested' | ApprovalOutcome): void;
}

/** The channel's enabled tools for one answer, with approvals posted on the answer's platform. */
export function createAnswerTools(options: AnswerToolsOptions): AnswerToolsFactory {
  return {
    forAnswer(job: ChatJob, jobId: string, settings: ResolvedSettings, ports: PlatformPorts): AgentTools {
      const enabled: Tool[] = options.catalog.enabledFor(settings);
      const approve = approverFor(job, jobId, ports, options);
      return {
        specs: () => enabled.map(toolSpec),
        async run(call, { signal, onState }) {
          if (call.invalid) {
            options.onToolCall?.({ tool: call.name, status: 'invalid-input', durationMs: 0 });
            return {
              ok: false,
              durationMs: 0,
              output: `The arguments for ${call.name} were not valid JSON (${call.invalid.message}). Send a JSON object matching the tool's schema.`,
            };
          }
          let approval: ApprovalOutcome | undefined;
          const result = await runToolCall(
            enabled,
            call,
            {
              signal,
              platform: job.platform,
              workspaceId: job.workspaceId,
              channelId: job.channelId,
              userId: job.userId,
              jobId,
              callId: call.id,
              ...(settings.imageModel ? { imageModel: settings.imageModel } : {}),
              ...(ports.files ? { upload: (file, uploadSignal) => withRateLimitRetry(() => ports.files!.upload(job, file, uploadSignal), uploadSignal) } : {}),
            },
            approve
              ? {
                  approve: async (tool, input) => {
                    approval = await approve(tool, input, signal, onState);
                    return approval;
                  },
                }
              : {},
          );
          options.onToolCall?.({ tool: call.name, status: result.status, durationMs: result.durationMs });
          if (!result.ok) options.log.info({ jobId, tool: call.name, status: result.status }, 'tool call did not succeed');
          const display = result.status === 'denied' ? APPROVAL_DISPLAY[approval ?? 'denied'] : undefined;
          return display ? { ...result, display } : result;
        },
      };
    },
  };
}

const APPROVAL_DISPLAY: Record<ApprovalOutcome, string | undefined> = {
  approved: undefined,
  denied: 'not approved',
  'timed-out': 'no approval in time',
  cancelled: 'cancelled',
};

/**
 * Approval prompts and uploads: the adapters pace them (`pacedWrite`) and end a run of 429s with a
 * readable PacedWriteError, so this only covers a port that lets a 429 through: it waits out the
 * retry-after instead of refusing the tool.
 */
async function withRateLimitRetry<T>(write: () => Promise<T>, signal: AbortSignal, attempts = 8): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await write();
    } catch (error) {
      if (!(error instanceof SurfaceRateLimitedError) || attempt >= attempts) throw error;
      await abortableSleep(Math.max(50, error.retryAfterMs), signal);
    }
  }
}

function approverFor(job: ChatJob, jobId: string, ports: PlatformPorts, options: AnswerToolsOptions) {
  const broker = options.approvals;
  const surface = ports.approvals;
  if (!broker || !surface) return undefined;
  return async (tool: Tool, input: unknown, signal: AbortSignal, onState: (state: 'awaiting-approval' | 'running') => void): Promise<ApprovalOutcome> => {
    onState('awaiting-approval');
    const prompt = await broker.open({ jobId, toolName: tool.name, summary: summarizeToolInput(input), userId: job.userId });
    options.onApproval?.('requested');
    const ref = await withRateLimitRetry(() => surface.post(job, prompt), signal);
    const outcome = await broker.wait(prompt.approvalId, { signal });
    options.onApproval?.(outcome);
    const decidedBy = (await broker.get(prompt.approvalId).catch(() => undefined))?.decidedBy;
    // The outcome must replace the buttons even if this answer was stopped meanwhile.
    await withRateLimitRetry(() => surface.resolve(ref, prompt, outcome, decidedBy), AbortSignal.timeout(30_000)).catch((error: unknown) =>
      options.log.warn({ err: error }, 'could not show the approval outcome'),
    );
    if (outcome === 'approved') onState('running');
    return outcome;
  };
}
