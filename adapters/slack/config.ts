import { z } from 'zod';
import { bool, int, list, optionalString, optionalUrl, type Config, type Role } from '../../src/config.ts';

/** Slack's environment variables, merged into the one config schema through the platform registry. */
export const slackConfigShape = {
  SLACK_BOT_TOKEN: optionalString,
  SLACK_SIGNING_SECRET: optionalString,
  SLACK_APP_TOKEN: optionalString,
  SLACK_API_URL: optionalUrl,
  SLACK_COMMAND: z.string().regex(/^\/[a-z0-9_-]+$/).default('/ofox'),
  SLACK_STREAMING: z.enum(['native', 'update']).default('native'),
  /**
   * Native streams: the most characters one answer message holds before the answer goes on in a
   * new message. Slack takes at most 12,000 per `markdown_text` and per `markdown` block; fewer,
   * longer messages spend fewer post-class calls (Slack's scarcest budget).
   */
  SLACK_STREAM_MAX_CHARS: z.coerce.number().int().min(1_000).max(12_000).default(11_000),
  /**
   * Native streams: a stream older than this is stopped and the answer goes on in a new message.
   * Slack reports streams closed after about five minutes; four leaves room for a paced final write.
   */
  SLACK_STREAM_MAX_AGE_MS: z.coerce.number().int().min(1_000).max(290_000).default(240_000),
  SLACK_ADMIN_USER_IDS: list,
  SLACK_THREAD_FOLLOWUPS: bool(true),
  /**
   * Which AI app experience the app's manifest turns on: `agent` (`agent_view`: greeting and
   * suggested prompts when the Messages tab opens, top-level DMs acknowledged with a status) or
   * `assistant` (the older `assistant_view` container, for apps that have not migrated).
   */
  SLACK_EXPERIENCE: z.enum(['agent', 'assistant']).default('agent'),
  /** The HTTP receiver's port (`/slack/events`). */
  PORT: int(3000, 0),
};

export type SlackConfig = z.infer<z.ZodObject<typeof slackConfigShape>>;

declare module '../../src/config.ts' {
  interface PlatformConfigs {
    slack: SlackConfig;
  }
}

export const SLACK_SECRET_KEYS = ['SLACK_BOT_TOKEN', 'SLACK_SIGNING_SECRET', 'SLACK_APP_TOKEN'] as const;

export function slackConfigured(config: Config): boolean {
  return Boolean(config.SLACK_BOT_TOKEN && (config.SLACK_SIGNING_SECRET || config.SLACK_APP_TOKEN));
}

/** Half a Slack configuration is a mistake worth naming (the gateway is where its receiver runs). */
export function slackConfigProblems(config: Config, role: Role): string[] {
  if (role !== 'gateway' && role !== 'start') return [];
  const problems: string[] = [];
  const started = Boolean(config.SLACK_BOT_TOKEN || config.SLACK_SIGNING_SECRET || config.SLACK_APP_TOKEN);
  if (started && !config.SLACK_BOT_TOKEN) problems.push('SLACK_BOT_TOKEN: required when Slack is configured');
  if (started && !config.SLACK_SIGNING_SECRET && !config.SLACK_APP_TOKEN) {
    problems.push('SLACK_SIGNING_SECRET: required for the HTTP receiver (or set SLACK_APP_TOKEN for Socket Mode)');
  }
  return problems;
}
