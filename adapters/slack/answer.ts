import type { WebClient } from '@slack/web-api';
import type { Config } from '../../src/config.ts';
import type { Attachment, Inbound, IngressPipeline, IngressPorts, IngressServices, MessageRef } from '../../src/ingress/index.ts';
import type { Logger } from '../../src/observability/logger.ts';
import type { AnsweredThreads } from './answered-threads.ts';
import { PLACEHOLDER_MARKDOWN, markdownMessage, mrkdwnMessage } from './blocks.ts';
import { markdownToMrkdwn, mrkdwnToPlain } from './formatting.ts';
import { STREAM_MARKER, STREAMING_UNAVAILABLE_ERRORS, startStream, type StreamingSwitch } from './streaming.ts';
import { slackPacedWrite, slackWriteIfRoom } from './paced-writes.ts';
import { slackErrorCode } from './web-client.ts';
import { slackAssistantBudget, slackDeleteBudget, slackEphemeralBudget, slackPostBudgets, slackStopBudgets, slackUpdateBudget } from './write-budgets.ts';

/**
 * What every trigger (mention, DM, follow-up, assistant message, `/ofox ask`) becomes: an `Inbound`
 * and Slack's ports, handed to the ingress pipeline, which claims the event id, posts the
 * placeholder in the thread and enqueues the job. A redelivered event stops at the claim.
 */

export interface SlackFile {
  name?: string;
  title?: string;
  mimetype?: string;
  size?: number;
  url_private?: string;
  url_private_download?: string;
}

export interface Trigger {
  eventId: string;
  teamId: string;
  channel: string;
  user: string;
  /** Plain text for the model. */
  text: string;
  ts: string;
  threadTs?: string;
  files?: SlackFile[];
  /** The Assistant container: its status line ("is thinking…") is the placeholder. */
  assistantThread?: boolean;
  /**
   * Runs once the event is claimed, before anything else is written (the assistant's title and
   * status): a redelivered event then shows nothing again. Its failure is logged, not thrown.
   */
  onClaimed?: () => Promise<void>;
  fromCommand?: boolean;
}

export interface IngressContext {
  config: Pick<Config, 'SLACK_STREAMING' | 'SLACK_ADMIN_USER_IDS' | 'SLACK_COMMAND' | 'SLACK_THREAD_FOLLOWUPS' | 'IGNORE_BOTS'>;
  services: IngressServices;
  /** Claim → gate → placeholder → job → enqueue, shared with every platform. */
  pipeline: IngressPipeline;
  log: Logger;
  answered: AnsweredThreads;
  streaming: StreamingSwitch;
}

export type Answer = (client: WebClient, trigger: Trigger) => Promise<void>;

const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript|x-yaml|yaml|x-sh|x-python|sql|csv|toml|x-toml|markdown))/;

export function isAdmin(context: IngressContext, userId: string): boolean {
  return context.config.SLACK_ADMIN_USER_IDS.includes(userId);
}

/**
 * A note only `user` sees, a `final` write of the workspace's chat.postEphemeral budget; failures
 * are logged, never thrown. `unpaced`: the note says Redis is unreachable, where the shared pacer
 * would only time out and then pace locally for seconds after Redis is back (grants the workers never saw).
 */
export async function ephemeral(
  context: IngressContext,
  client: WebClient,
  note: { teamId: string; channel: string; user: string; text: string; threadTs?: string },
  options: { unpaced?: boolean } = {},
): Promise<void> {
  const send = () => client.chat.postEphemeral({ channel: note.channel, user: note.user, text: markdownToMrkdwn(note.text), ...(note.threadTs ? { thread_ts: note.threadTs } : {}) });
  try {
    if (options.unpaced) await send();
    else await slackPacedWrite({ budgets: [slackEphemeralBudget(note.teamId)], writeClass: 'final', what: 'the private note' }, send);
  } catch (error) {
    context.log.warn({ err: error, channel: note.channel, user: note.user }, 'slack: ephemeral note failed');
  }
}

/** Runs a handler, turning any failure into one structured log line. */
export function guarded(context: IngressContext, name: string, handler: () => Promise<void>): Promise<void> {
  return handler().catch((error: unknown) => context.log.error({ err: error, handler: name, code: slackErrorCode(error) }, 'slack: handler failed'));
}

/** The message text without the bot's own mention, as plain text for the model. */
export function promptOf(text: string | undefined, botUserId: string | undefined): string {
  const withoutBot = botUserId ? (text ?? '').replace(new RegExp(`<@${botUserId}(\\|[^>]*)?>`, 'g'), ' ') : (text ?? '');
  return mrkdwnToPlain(withoutBot).replace(/[ \t]+/g, ' ').trim();
}

export function attachmentsOf(files: SlackFile[] | undefined): Attachment[] {
  return (files ?? [])
    .map((file) => {
      const url = file.url_private_download ?? file.url_private;
      if (!url) return undefined;
      const mediaType = file.mimetype;
      const kind: 'image' | 'text' | 'file' = mediaType?.startsWith('image/') ? 'image' : mediaType && TEXT_TYPES.test(mediaType) ? 'text' : 'file';
      return { kind, name: file.name ?? file.title ?? 'file', url, ...(mediaType ? { mediaType } : {}), ...(file.size !== undefined ? { sizeBytes: file.size } : {}) };
    })
    .filter((attachment) => attachment !== undefined);
}

/** A stream holding only the Stop button (native); a posted "Thinking…" message where streams cannot hold it. */
async function postPlaceholder(context: IngressContext, client: WebClient, trigger: Trigger, threadTs: string, jobId: string): Promise<MessageRef | undefined> {
  const controls = { kind: 'stop' as const, jobId };
  const { streaming } = context;
  if (streaming.native && streaming.buttonsInStreams) {
    try {
      // The stream's age travels with the job, so the worker stops it before Slack ends it.
      const startedAt = String(Date.now());
      const ts = await startStream(client, { channel: trigger.channel, threadTs, userId: trigger.user, teamId: trigger.teamId, controls }, streaming);
      return { id: ts, channelId: trigger.channel, extra: { threadTs, stream: STREAM_MARKER, startedAt } };
    } catch (error) {
      const code = slackErrorCode(error);
      if (!code || !STREAMING_UNAVAILABLE_ERRORS.has(code)) throw error;
      context.log.warn({ code, channel: trigger.channel }, 'slack: cannot start a stream here, posting a placeholder instead');
      if (streaming.buttonsInStreams) streaming.refuse();
    }
  }
  const message = context.config.SLACK_STREAMING === 'native' ? markdownMessage(PLACEHOLDER_MARKDOWN, controls) : mrkdwnMessage(PLACEHOLDER_MARKDOWN, controls);
  const response = await client.chat.postMessage({ channel: trigger.channel, thread_ts: threadTs, ...message });
  return response.ts ? { id: response.ts, channelId: trigger.channel, extra: { threadTs } } : undefined;
}

/** Stops a placeholder's stream: from the channel's stop budget and the workspace's post pool. */
async function stopPlaceholderStream(client: WebClient, placeholder: MessageRef, teamId: string): Promise<void> {
  if (placeholder.extra?.stream !== STREAM_MARKER) return;
  const budgets = slackStopBudgets(teamId, placeholder.channelId);
  await slackPacedWrite({ budgets, writeClass: 'final', what: 'stopping the placeholder', blame: [budgets[0]!.key] }, () =>
    client.chat.stopStream({ channel: placeholder.channelId, ts: placeholder.id }),
  ).catch(() => undefined);
}

/** Removes a placeholder another attempt made redundant (stopping its stream first). */
async function discardPlaceholder(client: WebClient, placeholder: MessageRef, teamId: string): Promise<void> {
  await stopPlaceholderStream(client, placeholder, teamId);
  await slackPacedWrite({ budgets: [slackDeleteBudget(teamId)], writeClass: 'final', what: 'removing the placeholder' }, () =>
    client.chat.delete({ channel: placeholder.channelId, ts: placeholder.id }),
  );
}

/** Shows a failure in the placeholder (stopping its stream first): `final` writes, like the answer's end. */
async function failPlaceholder(client: WebClient, placeholder: MessageRef, teamId: string, text: string): Promise<void> {
  await stopPlaceholderStream(client, placeholder, teamId);
  await slackPacedWrite({ budgets: [slackUpdateBudget(teamId)], writeClass: 'final', what: 'the failure notice' }, () =>
    client.chat.update({ channel: placeholder.channelId, ts: placeholder.id, ...mrkdwnMessage(text) }),
  ).catch(() => undefined);
}

const ENQUEUE_FAILED_TEXT = 'Sorry, I could not start on that. Please try again.';

const WAITING_TEXT = '⏳ Your request is waiting: I will start on it as soon as I can.';

/**
 * Without a placeholder (assistant threads have none; or posting it failed), the failure is a new
 * message in the thread, so the person is not left waiting; an assistant's status is cleared.
 */
async function postFailure(client: WebClient, trigger: Trigger, threadTs: string, text: string, log: Logger): Promise<void> {
  const budgets = slackPostBudgets(trigger.teamId, trigger.channel);
  await slackPacedWrite({ budgets, writeClass: 'final', what: 'the failure notice', blame: [budgets[0]!.key] }, () =>
    client.chat.postMessage({ channel: trigger.channel, thread_ts: threadTs, ...mrkdwnMessage(text) }),
  ).catch((error: unknown) => {
    log.warn({ err: error, code: slackErrorCode(error) }, 'slack: could not post the failure');
  });
  if (!trigger.assistantThread) return;
  // Posting a reply clears the status anyway; clearing it too is only worth a spare token.
  await slackWriteIfRoom([slackAssistantBudget(trigger.teamId, 'setStatus')], () => client.assistant.threads.setStatus({ channel_id: trigger.channel, thread_ts: threadTs, status: '' })).catch(
    (error: unknown) => {
      log.debug({ err: error }, 'slack: clearing the status failed');
    },
  );
}

/** The Slack words for one request: the pipeline (`src/ingress`) decides when each runs. */
function portsFor(context: IngressContext, client: WebClient, trigger: Trigger, log: Logger): IngressPorts {
  const threadTs = trigger.threadTs ?? trigger.ts;
  return {
    async acknowledge() {
      // The assistant's title and status (its acknowledgment), only once the event is claimed.
      await trigger.onClaimed?.().catch((error: unknown) => log.warn({ err: error }, 'slack: onClaimed failed'));
      // Follow-ups in this thread need no new mention from now on.
      await context.answered.remember(trigger.channel, threadTs).catch((error: unknown) => log.warn({ err: error }, 'slack: could not remember thread'));
    },
    // Redis is unreachable (events are refused then, so this is an `/ask` or a race): a private
    // note says the request waits, once, spending no message budget in the channel.
    waiting: {
      key: () => `slack:${trigger.eventId}`,
      show: () => ephemeral(context, client, { teamId: trigger.teamId, channel: trigger.channel, user: trigger.user, text: WAITING_TEXT, threadTs }, { unpaced: true }),
    },
    // Assistant threads have none: their status line is the acknowledgment.
    ...(trigger.assistantThread
      ? {}
      : {
          placeholder: {
            // Slack limits updates per workspace, which is how the surface paces its writes.
            channelKey: (inbound: Inbound) => `slack:${inbound.workspaceId}`,
            post: (_inbound: Inbound, jobId: string) => postPlaceholder(context, client, trigger, threadTs, jobId),
            discard: (placeholder: MessageRef) => discardPlaceholder(client, placeholder, trigger.teamId),
          },
        }),
    async showFailure(_inbound, placeholder) {
      if (placeholder) await failPlaceholder(client, placeholder, trigger.teamId, ENQUEUE_FAILED_TEXT);
      else await postFailure(client, trigger, threadTs, ENQUEUE_FAILED_TEXT, log);
    },
    notifyPrivately: (_inbound, text) => ephemeral(context, client, { teamId: trigger.teamId, channel: trigger.channel, user: trigger.user, text, threadTs }),
  };
}

function inboundOf(context: IngressContext, trigger: Trigger): Inbound {
  return {
    platform: 'slack',
    eventId: trigger.eventId,
    workspaceId: trigger.teamId,
    channelId: trigger.channel,
    threadId: trigger.threadTs ?? trigger.ts,
    messageId: trigger.ts,
    user: { id: trigger.user, groups: [], isAdmin: isAdmin(context, trigger.user) },
    // Slack's direct-message conversation ids start with D.
    isDirect: trigger.channel.startsWith('D'),
    prompt: trigger.text,
    attachments: attachmentsOf(trigger.files),
    fromCommand: trigger.fromCommand ?? false,
    trigger: trigger.fromCommand ? 'slash-command' : trigger.assistantThread ? 'assistant' : 'message',
  };
}

export function createAnswer(context: IngressContext): Answer {
  return async (client, trigger) => {
    const log = context.log.child({ eventId: trigger.eventId, channel: trigger.channel });
    await context.pipeline.accept(inboundOf(context, trigger), portsFor(context, client, trigger, log));
  };
}
