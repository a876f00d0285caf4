import type { WebClient } from '@slack/web-api';
import type { Config } from '../../src/config.ts';
import type { Logger } from '../../src/observability/logger.ts';
import type { ChatJob } from '../../src/ingress/index.ts';
import { transportPacer } from '../../src/render/transport-pacer.ts';
import type { WritePacer } from '../../src/render/write-budget.ts';
import type { PlatformPorts } from '../../src/worker/ports.ts';
import { SlackApprovals } from './approvals.ts';
import { SlackConversationReader, slackFileOrigins } from './context.ts';
import { SlackFileUploader } from './file-uploads.ts';
import { MemoryStreamStateStore, type StreamStateStore } from './stream-state.ts';
import { StreamingSwitch } from './streaming.ts';
import { DEFAULT_SLACK_LIMITS, SlackSurface } from './surface.ts';
import { createSlackWebClient } from './web-client.ts';

/** What the worker role needs from Slack: surfaces, the thread reader, approval buttons. */

export interface SlackPortsOptions {
  /** After Slack refuses streaming, how long to post-and-update before trying streams again. @defaultValue 600_000 */
  streamingRetryMs?: number;
  /** A ready client (tests); otherwise one is built from the config. */
  client?: WebClient;
  /**
   * What each native stream holds. Pass `RedisStreamStateStore` when several worker processes
   * run, so a job retried elsewhere continues its stream exactly. @defaultValue in memory
   */
  streamStates?: StreamStateStore;
  /**
   * The pacer approval prompts and files draw from, the renderer's own so they share its budgets.
   * @defaultValue the process's shared pacer (`shareTransportPacer`)
   */
  pacer?: WritePacer;
}

export type SlackPorts = PlatformPorts & { readonly client: WebClient; close(): Promise<void> };

export function createSlackPorts(
  config: Pick<Config, 'SLACK_BOT_TOKEN' | 'SLACK_API_URL' | 'SLACK_STREAMING' | 'SLACK_STREAM_MAX_CHARS' | 'SLACK_STREAM_MAX_AGE_MS' | 'FETCH_URL_ALLOWLIST'>,
  log: Logger,
  options: SlackPortsOptions = {},
): SlackPorts {
  if (!config.SLACK_BOT_TOKEN) throw new Error('SLACK_BOT_TOKEN is required for the Slack worker');
  // Writes (answers, streams, approval prompts) are never retried by the client: after a timeout
  // or a 5xx Slack may already have posted, so a retry could post twice. The renderer retries
  // with the latest text instead.
  const client = options.client ?? createSlackWebClient(config, { retryConfig: { retries: 0 } });
  // Reading the thread is safe to repeat, so the reader keeps the client's short retry.
  const reader = options.client ?? createSlackWebClient(config);
  const streaming = new StreamingSwitch(config.SLACK_STREAMING, options.streamingRetryMs);
  const streams = options.streamStates ?? new MemoryStreamStateStore();
  const slackLog = log.child({ platform: 'slack' });
  const limits = { ...DEFAULT_SLACK_LIMITS, streamMaxChars: config.SLACK_STREAM_MAX_CHARS, streamMaxAgeMs: config.SLACK_STREAM_MAX_AGE_MS };
  const pacer = (): WritePacer | undefined => options.pacer ?? transportPacer();

  let botUserId: Promise<string | undefined> | undefined;
  const resolveBotUserId = (): Promise<string | undefined> => {
    botUserId ??= reader.auth.test().then(
      (result) => result.user_id,
      (error: unknown) => {
        botUserId = undefined;
        slackLog.warn({ err: error }, 'slack: auth.test failed');
        return undefined;
      },
    );
    return botUserId;
  };

  return {
    platform: 'slack',
    client,
    surfaceFor: (job: ChatJob) => new SlackSurface(job, { client, log: slackLog, streaming, streams, limits }),
    conversation: new SlackConversationReader({
      client: reader,
      log: slackLog,
      botToken: config.SLACK_BOT_TOKEN,
      trustedFileOrigins: slackFileOrigins(config.SLACK_API_URL),
      addressAllowlist: config.FETCH_URL_ALLOWLIST,
      botUserId: resolveBotUserId,
    }),
    approvals: new SlackApprovals(client, pacer),
    files: new SlackFileUploader(client, pacer),
    async close() {
      await streams.clear();
    },
  };
}
