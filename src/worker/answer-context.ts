import type { ChatRequest } from '../llm/types.ts';
import type { ChatJob } from '../queue/chat-job.ts';
import type { ResolvedSettings, SettingsReader } from '../settings/types.ts';
import { buildConversation } from './conversation-builder.ts';
import type { PlatformPorts } from './ports.ts';

export type SettingsOutcome = { ok: true; settings: ResolvedSettings } | { ok: false; error: unknown };

/**
 * The channel's settings. Never rejects: a failure is carried to the point where the answer's
 * message exists, so it can be shown there rather than leave a stuck placeholder.
 */
export function loadSettings(reader: SettingsReader, job: ChatJob): Promise<SettingsOutcome> {
  return reader.resolve({ platform: job.platform, workspaceId: job.workspaceId, channelId: job.channelId }).then(
    (settings) => ({ ok: true as const, settings }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

export interface AnswerRequestDefaults {
  model: string;
  contextTokenBudget: number;
  attachmentTextMaxBytes: number;
  maxOutputTokens?: number | undefined;
  fallbackModels?: string[] | undefined;
}

/** The model request for this answer (tools are added per round): the model chosen, the persona, and the conversation read back from the platform. */
export async function buildAnswerRequest(
  job: ChatJob,
  settings: ResolvedSettings,
  ports: PlatformPorts,
  signal: AbortSignal,
  defaults: AnswerRequestDefaults,
): Promise<Omit<ChatRequest, 'tools'>> {
  const model = job.model ?? settings.model ?? defaults.model;
  const messages = await buildConversation(job, ports, signal, {
    persona: settings.persona,
    tokenBudget: defaults.contextTokenBudget,
    attachmentTextMaxBytes: defaults.attachmentTextMaxBytes,
  });
  return { model, messages, maxOutputTokens: defaults.maxOutputTokens, fallbackModels: defaults.fallbackModels };
}
