import { configSchema, type Config } from '../../src/config.ts';
import type { ApprovalClick, ApprovalClickResult, CommandInvocation, CommandReply, IngressServices } from '../../src/ingress/services.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { jobIdFor, type ChatJob, type ChatJobInput, chatJobSchema } from '../../src/queue/chat-job.ts';
import type { FakeSlack } from '../fakes/slack/index.ts';

/** A Config pointing the Slack adapter at the fake. */
export function slackTestConfig(slack: FakeSlack, overrides: Record<string, string> = {}): Config {
  return configSchema.parse({
    NODE_ENV: 'test',
    LOG_LEVEL: 'silent',
    SLACK_BOT_TOKEN: slack.botToken,
    SLACK_SIGNING_SECRET: 'test-signing-secret',
    SLACK_API_URL: slack.apiUrl,
    PORT: '0',
    ...overrides,
  });
}

export interface RecordingServices extends IngressServices {
  claimed: string[];
  enqueued: ChatJob[];
  commands: CommandInvocation[];
  cancels: Array<{ jobId: string; requestedBy: string }>;
  clicks: ApprovalClick[];
  /** Job id → asker, for canCancel. */
  askers: Map<string, string>;
  approvalResult: (click: ApprovalClick) => ApprovalClickResult;
}

/** IngressServices that remember what the gateway asked for (a real implementation arrives with the pipeline). */
export function recordingServices(): RecordingServices {
  const claims = new Set<string>();
  const services: RecordingServices = {
    log: silentLogger(),
    claimed: [],
    enqueued: [],
    commands: [],
    cancels: [],
    clicks: [],
    askers: new Map(),
    approvalResult: () => ({ status: 'accepted', toolName: 'fetch_url' }),
    async claimEvent(platform, eventId) {
      const key = `${platform}:${eventId}`;
      if (claims.has(key)) return false;
      claims.add(key);
      services.claimed.push(key);
      return true;
    },
    async enqueue(input: ChatJobInput) {
      const job = chatJobSchema.parse(input);
      const jobId = jobIdFor(job.platform, job.eventId);
      const duplicate = services.enqueued.some((existing) => jobIdFor(existing.platform, existing.eventId) === jobId);
      if (!duplicate) {
        services.enqueued.push(job);
        services.askers.set(jobId, job.userId);
      }
      return { jobId, duplicate };
    },
    async cancel(jobId, requestedBy) {
      services.cancels.push({ jobId, requestedBy });
      return services.askers.has(jobId);
    },
    async runCommand(command): Promise<CommandReply> {
      services.commands.push(command);
      if (command.name === 'model' && command.args && !command.isAdmin) return { text: 'Only admins can change the model.', ephemeral: true };
      return { text: `**${command.name}** ok`, ephemeral: true };
    },
    async decideApproval(click) {
      services.clicks.push(click);
      return services.approvalResult(click);
    },
    async canCancel(jobId, userId, isAdmin) {
      return isAdmin || services.askers.get(jobId) === userId;
    },
  };
  return services;
}

/** Polls until `check` returns a value that is not undefined / false. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
