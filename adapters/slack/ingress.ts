import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { HTTPModuleFunctions, HTTPReceiver, type App } from '@slack/bolt';
import type { Config } from '../../src/config.ts';
import { createIngressPipeline, type IngressServices } from '../../src/ingress/index.ts';
import type { Logger } from '../../src/observability/logger.ts';
import { registerActions } from './actions.ts';
import { MemoryAnsweredThreads, type AnsweredThreads } from './answered-threads.ts';
import { createAnswer, guarded, promptOf, type IngressContext, type Trigger } from './answer.ts';
import { registerAgentView } from './agent-view.ts';
import { createAssistant, statusAcknowledgment } from './assistant.ts';
import { boltLogger } from './bolt-logger.ts';
import { RefusingApp, SlackEventRefused, type RefusingAppOptions } from './refusing-app.ts';
import { registerSlashCommand } from './commands.ts';
import { ANSWERABLE_SUBTYPES, fromBot, teamOf, type MessageEventShape } from './message-events.ts';
import { StreamingSwitch } from './streaming.ts';
import { slackApiUrl } from './web-client.ts';

/**
 * The gateway role for Slack: a Bolt app on the HTTP receiver (`/slack/events`; Bolt verifies the
 * signature and refuses timestamps older than five minutes) or Socket Mode when SLACK_APP_TOKEN is
 * set. Handlers only validate, claim, post the placeholder and enqueue (`answer.ts`); Bolt acks
 * events before they run, and commands and buttons ack first. While Redis is unreachable, events
 * that would become requests are refused instead, so Slack redelivers them (`refusing-app.ts`).
 */

export type SlackIngressConfig = Pick<
  Config,
  | 'SLACK_BOT_TOKEN'
  | 'SLACK_SIGNING_SECRET'
  | 'SLACK_APP_TOKEN'
  | 'SLACK_API_URL'
  | 'SLACK_COMMAND'
  | 'SLACK_STREAMING'
  | 'SLACK_ADMIN_USER_IDS'
  | 'SLACK_THREAD_FOLLOWUPS'
  | 'SLACK_EXPERIENCE'
  | 'IGNORE_BOTS'
  | 'PORT'
>;

export interface SlackIngressOptions {
  /** HTTP port; 0 picks a free one (tests read `SlackIngress.port`). @defaultValue config.PORT */
  port?: number;
  /** Threads the bot answered in, for follow-ups. Pass `RedisAnsweredThreads` when several gateways run. @defaultValue in memory */
  answeredThreads?: AnsweredThreads;
}

export interface SlackIngress {
  app: App;
  /** The bound HTTP port (undefined in Socket Mode). */
  port?: number;
  stop(): Promise<void>;
}

export async function startSlackIngress(config: SlackIngressConfig, services: IngressServices, log: Logger, options: SlackIngressOptions = {}): Promise<SlackIngress> {
  if (!config.SLACK_BOT_TOKEN) throw new Error('SLACK_BOT_TOKEN is required for the Slack gateway');
  const context: IngressContext = {
    config,
    services,
    pipeline: createIngressPipeline({ services }),
    log: log.child({ platform: 'slack' }),
    answered: options.answeredThreads ?? new MemoryAnsweredThreads(),
    streaming: new StreamingSwitch(config.SLACK_STREAMING),
  };
  const apiUrl = slackApiUrl(config);
  // A 429 fails the call at once instead of pausing every call of this client for Retry-After, and
  // nothing is retried: this client posts placeholders, and a retried post after a timeout posts twice.
  const clientOptions = { ...(apiUrl ? { slackApiUrl: apiUrl } : {}), rejectRateLimitedCalls: true, retryConfig: { retries: 0 } };
  const logger = boltLogger(context.log);

  // While Redis is unreachable, events that would become requests are refused so Slack redelivers them.
  const outbox = services.outbox;
  const refusal: RefusingAppOptions = {
    mayAccept: () => outbox === undefined || outbox.available(),
    onRefused: (event) => context.log.warn(event, 'slack: Redis is unreachable; refused the event so that Slack redelivers it'),
  };
  let app: App;
  if (config.SLACK_APP_TOKEN) {
    app = new RefusingApp({ token: config.SLACK_BOT_TOKEN, appToken: config.SLACK_APP_TOKEN, socketMode: true, clientOptions, logger }, refusal);
  } else {
    if (!config.SLACK_SIGNING_SECRET) throw new Error('SLACK_SIGNING_SECRET is required for the HTTP receiver');
    const receiver = new HTTPReceiver({
      signingSecret: config.SLACK_SIGNING_SECRET,
      endpoints: '/slack/events',
      signatureVerification: true,
      processBeforeResponse: false,
      logger,
      // A refusal is already logged: answer 503 without Bolt's "unhandled error" line.
      processEventErrorHandler: async (args) => {
        if (!(args.error instanceof SlackEventRefused)) return HTTPModuleFunctions.defaultProcessEventErrorHandler(args);
        args.response.writeHead(503);
        args.response.end();
        return true;
      },
    });
    app = new RefusingApp({ token: config.SLACK_BOT_TOKEN, receiver, clientOptions, logger }, refusal);
  }

  const answer = createAnswer(context);
  // The assistant container's events (and every threaded DM message) for both experiences.
  app.assistant(createAssistant(context, answer));
  if (config.SLACK_EXPERIENCE === 'agent') registerAgentView(app, context);

  app.event('app_mention', async ({ event, body, context: bolt, client }) =>
    guarded(context, 'app_mention', async () => {
      const mention = event as unknown as MessageEventShape;
      if (fromBot(context, mention, bolt)) return;
      if (!mention.channel || !mention.user || !mention.ts) return void context.log.warn({ eventId: body.event_id }, 'slack: malformed app_mention');
      await answer(client, {
        eventId: body.event_id,
        teamId: teamOf(body, bolt),
        channel: mention.channel,
        user: mention.user,
        text: promptOf(mention.text, bolt.botUserId),
        ts: mention.ts,
        threadTs: mention.thread_ts,
        files: mention.files,
      });
    }),
  );

  // DMs, and follow-ups in a thread the bot answered in (no new mention needed).
  app.event('message', async ({ event, body, context: bolt, client }) =>
    guarded(context, 'message', async () => {
      const message = event as unknown as MessageEventShape;
      if (!ANSWERABLE_SUBTYPES.has(message.subtype) || fromBot(context, message, bolt)) return;
      if (!message.channel || !message.user || !message.ts) return;
      const trigger: Trigger = {
        eventId: body.event_id,
        teamId: teamOf(body, bolt),
        channel: message.channel,
        user: message.user,
        text: promptOf(message.text, bolt.botUserId),
        ts: message.ts,
        threadTs: message.thread_ts,
        files: message.files,
      };
      if (message.channel_type === 'im') {
        // Agent view: a top-level DM starts a conversation of its own; its status is the acknowledgment.
        if (config.SLACK_EXPERIENCE !== 'agent' || message.thread_ts !== undefined) return answer(client, trigger);
        return answer(client, { ...trigger, threadTs: message.ts, assistantThread: true, onClaimed: statusAcknowledgment(context, client, trigger.teamId, message.channel, message.ts, trigger.text) });
      }
      const mentionsBot = bolt.botUserId !== undefined && (message.text ?? '').includes(`<@${bolt.botUserId}`);
      const isReply = message.thread_ts !== undefined && message.thread_ts !== message.ts;
      // A mention arrives as app_mention too; that handler answers it.
      if (mentionsBot || !isReply || !config.SLACK_THREAD_FOLLOWUPS) return;
      if (await context.answered.has(message.channel, message.thread_ts ?? '')) await answer(client, trigger);
    }),
  );

  registerSlashCommand(app, context, answer);
  registerActions(app, context);
  app.error(async (error) => {
    context.log.error({ err: error, code: (error as { code?: string }).code }, 'slack: bolt error');
  });

  if (config.SLACK_APP_TOKEN) {
    await app.start();
    return { app, stop: () => app.stop().then(() => undefined) };
  }
  const server = (await app.start(options.port ?? config.PORT)) as Server;
  const port = (server.address() as AddressInfo | null)?.port;
  context.log.info({ port, path: '/slack/events' }, 'slack: listening for events');
  return { app, port, stop: () => app.stop().then(() => undefined) };
}
