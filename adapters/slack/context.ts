import { ACTION_IDS } from './blocks.ts';
import type { WebClient } from '@slack/web-api';
import type { Logger } from '../../src/observability/logger.ts';
import type { ChatJob } from '../../src/queue/chat-job.ts';
import { createAddressPolicy, type AddressPolicy } from '../../src/tools/builtins/address-policy.ts';
import { FetchUrlRefusedError } from '../../src/tools/builtins/fetch-url-refused-error.ts';
import { BodyTooLargeError, guardedFetch, type GuardedResponse } from '../../src/tools/builtins/guarded-fetch.ts';
import type { ConversationReader } from '../../src/worker/ports.ts';
import { mrkdwnToPlain } from './formatting.ts';

/**
 * Reads the conversation back from Slack: the thread's replies (the platform is the transcript).
 * The bot's own messages are the assistant's turns; everyone else's are user turns with a name.
 */

// Adapters may not import src/llm; the message shapes come through the port's signature.
type ChatMessage = Awaited<ReturnType<ConversationReader['history']>>[number];
type ContentPart = NonNullable<Awaited<ReturnType<NonNullable<ConversationReader['attachments']>>>>[number];

interface SlackMessage {
  ts?: string;
  user?: string;
  bot_id?: string;
  subtype?: string;
  text?: string;
  blocks?: Array<{ type?: string; text?: unknown }>;
}

export interface SlackConversationOptions {
  client: WebClient;
  log: Logger;
  /** Used to download url_private files; never sent to other hosts. */
  botToken: string;
  /**
   * The only origins files are downloaded from (with the bot token): Slack's file host, and
   * SLACK_API_URL's origin when it is overridden (see {@link slackFileOrigins}).
   */
  trustedFileOrigins: readonly string[];
  /**
   * FETCH_URL_ALLOWLIST: file downloads follow fetch_url's address policy (private, loopback and
   * link-local addresses refused after resolution unless allowlisted). @defaultValue []
   */
  addressAllowlist?: readonly string[];
  /** Resolves the bot's user id (auth.test), once. */
  botUserId: () => Promise<string | undefined>;
  /** Largest image downloaded and inlined. @defaultValue 5 MiB */
  maxImageBytes?: number;
  /** A text file that says it is larger than this is not downloaded at all. @defaultValue 10 MiB */
  maxFileBytes?: number;
}

/** Where Slack serves `url_private` files. */
export const SLACK_FILE_ORIGIN = 'https://files.slack.com';

/** Slack's file host, plus the API override's origin (a proxy, the tests' fake), which already gets the token. */
export function slackFileOrigins(apiUrl: string | undefined): string[] {
  return apiUrl ? [SLACK_FILE_ORIGIN, new URL(apiUrl).origin] : [SLACK_FILE_ORIGIN];
}

const DEFAULTS = { maxImageBytes: 5 * 1024 * 1024, maxFileBytes: 10 * 1024 * 1024 };

const PAGE = 200;

const megabytes = (bytes: number): number => Math.round(bytes / 1024 / 1024);

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

export class SlackConversationReader implements ConversationReader {
  private readonly options: SlackConversationOptions & typeof DEFAULTS;
  private readonly policy: AddressPolicy;
  private readonly names = new Map<string, string>();

  constructor(options: SlackConversationOptions) {
    this.options = { ...DEFAULTS, ...options };
    this.policy = createAddressPolicy(options.addressAllowlist ?? []);
  }

  async history(job: ChatJob, options: { signal: AbortSignal; maxMessages: number }): Promise<ChatMessage[]> {
    const threadTs = job.threadId;
    if (job.fromCommand || !threadTs) return [];
    const botUserId = await this.options.botUserId();
    const raw: SlackMessage[] = [];
    let cursor: string | undefined;
    try {
      do {
        options.signal.throwIfAborted();
        const page = await this.options.client.conversations.replies({ channel: job.channelId, ts: threadTs, limit: PAGE, ...(cursor ? { cursor } : {}) });
        raw.push(...((page.messages ?? []) as SlackMessage[]));
        cursor = page.response_metadata?.next_cursor || undefined;
      } while (cursor);
    } catch (error) {
      if (options.signal.aborted) throw error;
      // A rate-limited or failed read costs the answer some context, not the whole answer.
      this.options.log.warn({ err: error, channel: job.channelId, pagesRead: raw.length }, 'slack: could not read the whole thread; answering with what was read');
    }

    const excluded = new Set([job.messageId, job.placeholder?.id].filter((ts): ts is string => Boolean(ts)));
    const trigger = job.messageId ? Number(job.messageId) : Number.POSITIVE_INFINITY;
    const kept = raw.filter(
      (message) => message.ts && !excluded.has(message.ts) && Number(message.ts) < trigger && isConversational(message) && !isStillStreaming(message),
    );
    const recent = kept.slice(-options.maxMessages);
    await this.resolveNames(recent, botUserId, options.signal);

    const turns: ChatMessage[] = [];
    for (const message of recent) {
      // Our app posts as its bot user; other bots' messages are turns by someone else.
      const fromBot = botUserId !== undefined ? message.user === botUserId : Boolean(message.bot_id);
      const text = fromBot ? botText(message) : mrkdwnToPlain(message.text ?? '', this.names);
      if (text.trim().length === 0) continue;
      if (fromBot) turns.push({ role: 'assistant', content: text });
      else turns.push({ role: 'user', content: text, ...(message.user ? { name: this.names.get(message.user) ?? message.user } : {}) });
    }
    return turns;
  }

  async attachments(job: ChatJob, options: { signal: AbortSignal; maxTextBytes: number }): Promise<ContentPart[]> {
    const parts: ContentPart[] = [];
    for (const attachment of job.attachments) {
      if (!this.fromSlack(attachment.url)) {
        // Never fetched: only Slack's own file host is read (and only it ever sees the token).
        this.options.log.warn({ file: attachment.name, origin: originOf(attachment.url) }, 'slack: attachment not from the file host; skipped');
        parts.push({ type: 'text', text: `[attachment ${attachment.name} could not be read: it is not on Slack's file host]` });
        continue;
      }
      try {
        if (attachment.kind === 'image') {
          const limit = this.options.maxImageBytes;
          if ((attachment.sizeBytes ?? 0) > limit) {
            parts.push({ type: 'text', text: `[image ${attachment.name} skipped: larger than ${megabytes(limit)} MB]` });
            continue;
          }
          const { body, mediaType } = await this.download(attachment.url, { maxBytes: limit, overLimit: 'refuse' }, options.signal);
          const type = attachment.mediaType ?? mediaType ?? 'image/png';
          parts.push({ type: 'image', url: `data:${type};base64,${body.toString('base64')}`, mediaType: type });
        } else if (attachment.kind === 'text') {
          // Only the head is read: a file that says it is huge is refused before its body is read,
          // and whatever it says, no more than maxTextBytes is downloaded.
          const { body, truncated } = await this.download(
            attachment.url,
            { maxBytes: options.maxTextBytes, overLimit: 'truncate', maxDeclaredBytes: this.options.maxFileBytes },
            options.signal,
          );
          // Cut at a character boundary.
          const data = new TextDecoder('utf-8', { fatal: false }).decode(body).replace(/\uFFFD$/, '');
          const fence = data.includes('```') ? '````' : '```';
          parts.push({ type: 'text', text: `File ${attachment.name}${truncated ? ` (first ${options.maxTextBytes} bytes)` : ''}:\n${fence}\n${data}\n${fence}` });
        } else {
          parts.push({ type: 'text', text: `[attached file: ${attachment.name}${attachment.mediaType ? ` (${attachment.mediaType})` : ''}]` });
        }
      } catch (error) {
        if (options.signal.aborted) throw error;
        this.options.log.warn({ err: error, file: attachment.name }, 'slack: attachment download failed');
        parts.push({ type: 'text', text: `[attachment ${attachment.name} could not be read: ${this.skipReason(error)}]` });
      }
    }
    return parts;
  }

  /** Only from Slack's file host, with the bot token, through fetch_url's address policy. */
  private async download(
    url: string,
    limits: { maxBytes: number; overLimit: 'truncate' | 'refuse'; maxDeclaredBytes?: number },
    signal: AbortSignal,
  ): Promise<GuardedResponse & { mediaType?: string }> {
    const response = await guardedFetch(url, {
      policy: this.policy,
      signal,
      purpose: 'Slack file downloads',
      // Every hop stays on the trusted origins, so the token never leaves them.
      origins: this.options.trustedFileOrigins,
      headers: () => ({ authorization: `Bearer ${this.options.botToken}` }),
      ...limits,
    });
    const mediaType = response.contentType.split(';')[0]?.trim() || undefined;
    if (response.statusCode !== 200) throw new Error(`file download answered ${response.statusCode}`);
    // Slack answers a sign-in page (HTML) when the token cannot see the file.
    if (mediaType === 'text/html') throw new Error('file download answered a sign-in page');
    return { ...response, ...(mediaType ? { mediaType } : {}) };
  }

  private fromSlack(url: string): boolean {
    const origin = originOf(url);
    return origin !== undefined && this.options.trustedFileOrigins.includes(origin);
  }

  private skipReason(error: unknown): string {
    if (error instanceof BodyTooLargeError) return 'it is too large';
    if (error instanceof FetchUrlRefusedError) return 'its address may not be reached';
    return 'the download failed';
  }

  private async resolveNames(messages: SlackMessage[], botUserId: string | undefined, signal: AbortSignal): Promise<void> {
    const ids = new Set<string>();
    for (const message of messages) {
      if (message.user && message.user !== botUserId) ids.add(message.user);
      for (const match of (message.text ?? '').matchAll(/<@([UW][A-Z0-9]+)>/g)) if (match[1]) ids.add(match[1]);
    }
    for (const id of ids) {
      if (this.names.has(id) || signal.aborted) continue;
      try {
        const info = await this.options.client.users.info({ user: id });
        const user = info.user;
        const name = user?.profile?.display_name || user?.real_name || user?.name;
        if (name) this.names.set(id, name);
      } catch (error) {
        this.options.log.debug({ err: error, user: id }, 'slack: users.info failed');
      }
    }
  }
}

const SKIPPED_SUBTYPES = new Set(['channel_join', 'channel_leave', 'message_deleted', 'message_changed', 'assistant_app_thread', 'channel_topic', 'channel_purpose']);

/** Another answer still in progress (it carries the Stop button): its text is not a turn yet. */
function isStillStreaming(message: SlackMessage): boolean {
  return JSON.stringify(message.blocks ?? []).includes(`"${ACTION_IDS.stop}"`);
}

function isConversational(message: SlackMessage): boolean {
  return !message.subtype || !SKIPPED_SUBTYPES.has(message.subtype);
}

/** The bot's own answer: its markdown block when present (full text), else its text. */
function botText(message: SlackMessage): string {
  const markdown = (message.blocks ?? []).filter((block) => block.type === 'markdown' && typeof block.text === 'string').map((block) => block.text as string);
  if (markdown.length > 0) return markdown.join('\n').replace(/\u2060/g, '');
  return mrkdwnToPlain(message.text ?? '').replace(/\u2060/g, '');
}
