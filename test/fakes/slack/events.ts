import { createHmac, randomBytes } from 'node:crypto';
import type { FakeSlack } from './server.ts';
import type { FakeFile } from './state.ts';

/**
 * Sends what Slack sends to an app's Request URL: Events API callbacks (JSON), slash commands and
 * interactivity payloads (form-encoded), signed exactly as Slack signs them:
 * `v0=` + hex(HMAC-SHA256(signing secret, `v0:{timestamp}:{raw body}`)).
 */

export interface SendOptions {
  /** Sign with this secret instead of the real one. */
  forgeSignature?: boolean;
  /** Unix seconds to sign with (an old one tests replay protection). @defaultValue now */
  timestamp?: number;
  /** Adds `X-Slack-Retry-Num` / `X-Slack-Retry-Reason` like a redelivery. */
  retryNum?: number;
  retryReason?: string;
  /** Reuse an event id (a redelivery carries the same one). */
  eventId?: string;
}

export interface SendResult {
  status: number;
  body: string;
  eventId?: string;
}

export interface EventSenderOptions {
  /** The receiver's URL, e.g. `http://127.0.0.1:1234/slack/events`. */
  url: string;
  signingSecret: string;
  /** When given, people's messages are also stored in the fake so the bot can read the thread back. */
  slack?: FakeSlack;
  teamId?: string;
  apiAppId?: string;
}

export interface MessageInput {
  channel: string;
  user: string;
  text: string;
  /** Defaults to a new ts. */
  ts?: string;
  thread_ts?: string;
  files?: FakeFile[];
  bot_id?: string;
  subtype?: string;
}

export function signSlackRequest(signingSecret: string, timestamp: number, body: string): string {
  return `v0=${createHmac('sha256', signingSecret).update(`v0:${timestamp}:${body}`).digest('hex')}`;
}

export class SlackEventSender {
  private readonly options: EventSenderOptions;
  private readonly teamId: string;
  private readonly apiAppId: string;
  private sequence = 0;

  constructor(options: EventSenderOptions) {
    this.options = options;
    this.teamId = options.teamId ?? options.slack?.teamId ?? 'T0FAKE';
    this.apiAppId = options.apiAppId ?? 'A0FAKE';
  }

  /** Posts a raw body with Slack's headers. */
  async post(body: string, contentType: string, options: SendOptions = {}): Promise<SendResult> {
    const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
    const secret = options.forgeSignature ? `forged-${this.options.signingSecret}` : this.options.signingSecret;
    const headers: Record<string, string> = {
      'content-type': contentType,
      'x-slack-request-timestamp': String(timestamp),
      'x-slack-signature': signSlackRequest(secret, timestamp, body),
    };
    if (options.retryNum !== undefined) {
      headers['x-slack-retry-num'] = String(options.retryNum);
      headers['x-slack-retry-reason'] = options.retryReason ?? 'http_timeout';
    }
    const response = await fetch(this.options.url, { method: 'POST', headers, body });
    return { status: response.status, body: await response.text() };
  }

  /** An `event_callback` envelope around `event`. */
  async event(event: Record<string, unknown>, options: SendOptions = {}): Promise<SendResult> {
    const eventId = options.eventId ?? this.newEventId();
    const envelope = {
      token: 'legacy-verification-token',
      team_id: this.teamId,
      api_app_id: this.apiAppId,
      event: { event_ts: event.ts ?? this.nextTs(), ...event },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: this.teamId, user_id: this.options.slack?.botUserId ?? 'U0BOT', is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    };
    const result = await this.post(JSON.stringify(envelope), 'application/json', options);
    return { ...result, eventId };
  }

  /** A person @mentions the bot in a channel (stored in the fake first). */
  async appMention(input: MessageInput, options: SendOptions = {}): Promise<SendResult & { ts: string }> {
    const ts = this.store(input);
    const result = await this.event({ type: 'app_mention', ...messageFields(input, ts) }, options);
    return { ...result, ts };
  }

  /** A `message` event: channel_type `im` for DMs, `channel` otherwise. */
  async message(input: MessageInput & { channel_type?: 'im' | 'channel' | 'group' }, options: SendOptions = {}): Promise<SendResult & { ts: string }> {
    const ts = this.store(input);
    const channelType = input.channel_type ?? (input.channel.startsWith('D') ? 'im' : 'channel');
    const result = await this.event({ type: 'message', channel_type: channelType, ...messageFields(input, ts) }, options);
    return { ...result, ts };
  }

  /** A person opened the assistant container: Slack creates the thread and sends this. */
  async assistantThreadStarted(input: { channel: string; user: string; threadTs?: string }, options: SendOptions = {}): Promise<SendResult & { threadTs: string }> {
    const threadTs = input.threadTs ?? this.nextTs();
    const slack = this.options.slack;
    if (slack && !slack.message(input.channel, threadTs)) {
      // Slack opens the thread with a root message of its own.
      slack.workspace.add({ channel: input.channel, ts: threadTs, user: slack.botUserId, bot_id: slack.botId, subtype: 'assistant_app_thread', text: 'New Assistant Thread' });
    }
    const result = await this.event(
      {
        type: 'assistant_thread_started',
        assistant_thread: { user_id: input.user, context: { channel_id: undefined, team_id: this.teamId, enterprise_id: null }, channel_id: input.channel, thread_ts: threadTs },
        event_ts: this.nextTs(),
      },
      options,
    );
    return { ...result, threadTs };
  }

  /**
   * A person opened one of the app's tabs (`home`, `messages` or `about`). With `agent_view`,
   * `tab: "messages"` is how an app learns a conversation is about to start.
   */
  async appHomeOpened(input: { user: string; channel: string; tab: 'home' | 'messages' | 'about' }, options: SendOptions = {}): Promise<SendResult> {
    return this.event({ type: 'app_home_opened', user: input.user, channel: input.channel, tab: input.tab, event_ts: this.nextTs() }, options);
  }

  async slashCommand(input: { command: string; text: string; user: string; userName?: string; channel: string; triggerId?: string }, options: SendOptions = {}): Promise<SendResult & { responseId: string }> {
    const responseId = `cmd-${this.nextId()}`;
    const form = new URLSearchParams({
      token: 'legacy-verification-token',
      team_id: this.teamId,
      team_domain: 'fake',
      channel_id: input.channel,
      channel_name: input.channel.toLowerCase(),
      user_id: input.user,
      user_name: input.userName ?? input.user.toLowerCase(),
      command: input.command,
      text: input.text,
      api_app_id: this.apiAppId,
      is_enterprise_install: 'false',
      response_url: `${this.options.slack?.origin ?? 'http://127.0.0.1:9'}/respond/${responseId}`,
      trigger_id: input.triggerId ?? `${this.nextId()}.${this.nextId()}.${randomBytes(8).toString('hex')}`,
    });
    const result = await this.post(form.toString(), 'application/x-www-form-urlencoded', options);
    return { ...result, responseId };
  }

  /** A button press (`block_actions`) on a message the bot posted. */
  async blockAction(input: { actionId: string; value: string; user: string; channel: string; messageTs: string; threadTs?: string }, options: SendOptions = {}): Promise<SendResult & { responseId: string }> {
    const responseId = `act-${this.nextId()}`;
    const payload = {
      type: 'block_actions',
      user: { id: input.user, username: input.user.toLowerCase(), name: input.user.toLowerCase(), team_id: this.teamId },
      api_app_id: this.apiAppId,
      token: 'legacy-verification-token',
      container: { type: 'message', message_ts: input.messageTs, channel_id: input.channel, is_ephemeral: false, thread_ts: input.threadTs },
      trigger_id: `${this.nextId()}.${randomBytes(6).toString('hex')}`,
      team: { id: this.teamId, domain: 'fake' },
      channel: { id: input.channel, name: input.channel.toLowerCase() },
      message: { type: 'message', ts: input.messageTs, thread_ts: input.threadTs, text: '' },
      response_url: `${this.options.slack?.origin ?? 'http://127.0.0.1:9'}/respond/${responseId}`,
      actions: [{ action_id: input.actionId, block_id: 'ofox', type: 'button', value: input.value, action_ts: this.nextTs() }],
    };
    const form = new URLSearchParams({ payload: JSON.stringify(payload) });
    const result = await this.post(form.toString(), 'application/x-www-form-urlencoded', options);
    return { ...result, responseId };
  }

  private store(input: MessageInput): string {
    const slack = this.options.slack;
    if (!slack) return input.ts ?? this.nextTs();
    const existing = input.ts ? slack.message(input.channel, input.ts) : undefined;
    if (existing) return existing.ts;
    const stored = slack.workspace.add({ channel: input.channel, user: input.user, text: input.text, ts: input.ts, thread_ts: input.thread_ts, files: input.files, bot_id: input.bot_id, subtype: input.subtype });
    return stored.ts;
  }

  private newEventId(): string {
    return `Ev${Date.now().toString(36).toUpperCase()}${this.nextId()}`;
  }

  private nextId(): string {
    this.sequence += 1;
    return `${this.sequence}${randomBytes(3).toString('hex').toUpperCase()}`;
  }

  private nextTs(): string {
    const slack = this.options.slack;
    if (slack) return slack.workspace.nextTs();
    this.sequence += 1;
    return `${Math.floor(Date.now() / 1000)}.${String(this.sequence).padStart(6, '0')}`;
  }
}

function messageFields(input: MessageInput, ts: string): Record<string, unknown> {
  return {
    channel: input.channel,
    user: input.user,
    text: input.text,
    ts,
    thread_ts: input.thread_ts,
    bot_id: input.bot_id,
    subtype: input.subtype,
    files: input.files?.map((file) => ({ id: file.id, name: file.name, mimetype: file.mimetype, size: file.size, url_private: file.url_private, url_private_download: file.url_private_download })),
    client_msg_id: input.bot_id ? undefined : `${ts}-client`,
  };
}
