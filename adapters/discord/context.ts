import { DiscordAPIError, Routes, type REST } from 'discord.js';
import type { Logger } from '../../src/observability/logger.ts';
import type { Attachment, ChatJob } from '../../src/queue/chat-job.ts';
import { createAddressPolicy, type AddressPolicy } from '../../src/tools/builtins/address-policy.ts';
import { BodyTooLargeError, guardedFetch } from '../../src/tools/builtins/guarded-fetch.ts';
import { FetchUrlRefusedError } from '../../src/tools/builtins/fetch-url-refused-error.ts';
import type { ConversationReader } from '../../src/worker/ports.ts';
import { PLACEHOLDER_TEXT, participantName, promptFromContent } from './formatting.ts';
import { forwardedText } from './forwarded.ts';

/**
 * Reads the conversation back from Discord (the platform is the transcript): in a thread, the
 * thread's messages and the message it was started from; elsewhere, the reply chain followed
 * upwards. The bot's messages are assistant turns, everyone else's are user turns with a name.
 */

// Adapters may not import src/llm; the message shapes come through the port's signature.
type ChatMessage = Awaited<ReturnType<ConversationReader['history']>>[number];
type ContentPart = NonNullable<Awaited<ReturnType<NonNullable<ConversationReader['attachments']>>>>[number];

interface ApiUser {
  id: string;
  username: string;
  global_name?: string | null;
  bot?: boolean;
}

interface ApiMessage {
  id: string;
  type: number;
  channel_id: string;
  author: ApiUser;
  content: string;
  mentions?: ApiUser[];
  attachments?: { filename: string; content_type?: string }[];
  message_reference?: { type?: number; message_id?: string; channel_id?: string };
  referenced_message?: ApiMessage | null;
  components?: unknown[];
}

/** Default, reply, and slash-command answers carry conversation; joins, pins and thread notices do not. */
const CONVERSATION_TYPES = new Set([0, 19, 20]);

/** Where Discord serves attachments; nothing else is read or handed to the model. */
export const DISCORD_FILE_ORIGINS = ['https://cdn.discordapp.com', 'https://media.discordapp.net'];

export interface DiscordConversationOptions {
  rest: REST;
  log: Logger;
  /** The bot's user id (GET /users/@me), resolved once. */
  botUserId: () => Promise<string>;
  /**
   * Origins attachments may come from. Compose with {@link discordFileOrigins}: Discord's CDN, and
   * the origin DISCORD_API_URL names when it is overridden (a proxy, the tests' fake).
   * @defaultValue DISCORD_FILE_ORIGINS
   */
  fileOrigins?: readonly string[];
  /**
   * FETCH_URL_ALLOWLIST: attachment downloads follow fetch_url's address policy (private, loopback
   * and link-local addresses refused after resolution unless allowlisted). @defaultValue []
   */
  addressAllowlist?: readonly string[];
  /** A text file that says it is larger than this is not downloaded at all. @defaultValue 10 MiB */
  maxFileBytes?: number;
}

const DEFAULTS: { fileOrigins: readonly string[]; maxFileBytes: number } = { fileOrigins: DISCORD_FILE_ORIGINS, maxFileBytes: 10 * 1024 * 1024 };

/** Discord's file hosts, plus the API override's origin (attachments there are as trusted as the API itself). */
export function discordFileOrigins(apiUrl: string | undefined): string[] {
  return apiUrl ? [...DISCORD_FILE_ORIGINS, new URL(apiUrl).origin] : [...DISCORD_FILE_ORIGINS];
}

export class DiscordConversationReader implements ConversationReader {
  private readonly options: DiscordConversationOptions & typeof DEFAULTS;
  private readonly policy: AddressPolicy;

  constructor(options: DiscordConversationOptions) {
    this.options = { ...DEFAULTS, ...options };
    this.policy = createAddressPolicy(options.addressAllowlist ?? []);
  }

  async history(job: ChatJob, options: { signal: AbortSignal; maxMessages: number }): Promise<ChatMessage[]> {
    if (job.fromCommand || options.maxMessages <= 0 || !job.messageId) return [];
    const botId = await this.options.botUserId();
    const found = job.threadId
      ? await this.threadMessages(job, options)
      : job.workspaceId === 'dm'
        ? await this.directMessages(job, options)
        : await this.replyChain(job, options);
    const excluded = new Set([job.messageId, job.placeholder?.id]);
    return found
      .filter((message) => !excluded.has(message.id) && CONVERSATION_TYPES.has(message.type))
      .slice(-options.maxMessages)
      .map((message) => toChatMessage(message, botId))
      .filter((message): message is ChatMessage => message !== undefined);
  }

  /** The thread's messages before the trigger, oldest first, led by the message the thread grew from. */
  private async threadMessages(job: ChatJob, options: { signal: AbortSignal; maxMessages: number }): Promise<ApiMessage[]> {
    const threadId = job.threadId ?? '';
    const triggerIsStarter = job.messageId === threadId;
    // A thread opened for this very message holds nothing earlier; the message's reply chain does.
    if (triggerIsStarter) return this.replyChain(job, options);
    const query = new URLSearchParams({ limit: String(Math.min(100, options.maxMessages + 2)) });
    if (!triggerIsStarter && job.messageId) query.set('before', job.messageId);
    const inThread = triggerIsStarter ? [] : ((await this.get(Routes.channelMessages(threadId), options.signal, query)) as ApiMessage[] | undefined) ?? [];
    const starter = triggerIsStarter ? undefined : ((await this.get(Routes.channelMessage(job.channelId, threadId), options.signal)) as ApiMessage | undefined);
    return [...(starter ? [starter] : []), ...inThread.slice().reverse()];
  }

  /**
   * A DM is one running conversation, so people rarely use replies there: unless the trigger
   * replies to something, the DM's latest messages before it are the history.
   */
  private async directMessages(job: ChatJob, options: { signal: AbortSignal; maxMessages: number }): Promise<ApiMessage[]> {
    // The gateway said whether the trigger replies to something; older jobs are read to find out.
    const replies =
      job.replyTo !== undefined
        ? job.replyTo !== null
        : Boolean(((await this.get(Routes.channelMessage(job.channelId, job.messageId ?? ''), options.signal)) as ApiMessage | undefined)?.message_reference?.message_id);
    if (replies) return this.replyChain(job, options);
    const query = new URLSearchParams({ limit: String(Math.min(100, options.maxMessages + 2)), before: job.messageId ?? '' });
    const recent = ((await this.get(Routes.channelMessages(job.channelId), options.signal, query)) as ApiMessage[] | undefined) ?? [];
    return recent.slice().reverse();
  }

  /** The trigger's reply chain, followed upwards, oldest first. */
  private async replyChain(job: ChatJob, options: { signal: AbortSignal; maxMessages: number }): Promise<ApiMessage[]> {
    // A trigger that replies to nothing has no chain: reading it back would only spend one of the
    // bot's 50 requests a second on the path to the answer's first text.
    if (job.replyTo === null) return [];
    const chain: ApiMessage[] = [];
    let current = (await this.get(Routes.channelMessage(job.channelId, job.messageId ?? ''), options.signal)) as ApiMessage | undefined;
    const seen = new Set<string>();
    while (current && chain.length < options.maxMessages + 1 && !seen.has(current.id)) {
      seen.add(current.id);
      chain.push(current);
      const reference = current.message_reference?.message_id;
      // A forward (type 1) is not a reply: its snapshot is read as quoted text (forwarded.ts).
      if (!reference || current.message_reference?.type === 1) break;
      current =
        current.referenced_message ??
        ((await this.get(Routes.channelMessage(current.message_reference?.channel_id ?? current.channel_id, reference), options.signal)) as ApiMessage | undefined);
    }
    return chain.reverse();
  }

  /** A GET that treats a missing message or channel as "not there" rather than a failure. */
  private async get(route: `/${string}`, signal: AbortSignal, query?: URLSearchParams): Promise<unknown> {
    try {
      return await this.options.rest.get(route, { signal, ...(query ? { query } : {}) });
    } catch (error) {
      if (error instanceof DiscordAPIError && (error.status === 404 || error.status === 403)) {
        this.options.log.debug({ route, code: error.code }, 'conversation message not readable; chain ends here');
        return undefined;
      }
      throw error;
    }
  }

  async attachments(job: ChatJob, options: { signal: AbortSignal; maxTextBytes: number }): Promise<ContentPart[]> {
    const parts: ContentPart[] = [];
    let budget = options.maxTextBytes;
    for (const attachment of job.attachments) {
      if (!this.fromDiscord(attachment.url)) {
        // Never fetched, nor handed to the model to fetch: only Discord's own file hosts are read.
        this.options.log.warn({ name: attachment.name, origin: originOf(attachment.url) }, 'attachment not from a Discord file host; skipped');
        parts.push(skipped(attachment, "it is not on Discord's file host"));
      } else if (attachment.kind === 'image') {
        parts.push({ type: 'image', url: attachment.url, ...(attachment.mediaType ? { mediaType: attachment.mediaType } : {}) });
      } else if (attachment.kind === 'text' && budget > 0) {
        const text = await this.download(attachment, budget, options.signal);
        if ('skipped' in text) {
          parts.push(skipped(attachment, text.skipped));
          continue;
        }
        budget -= Buffer.byteLength(text.body);
        const note = text.truncated ? `\n[truncated after ${Buffer.byteLength(text.body)} bytes]` : '';
        parts.push({ type: 'text', text: `Attached file ${attachment.name}:\n\`\`\`\n${text.body}\n\`\`\`${note}` });
      } else {
        const size = attachment.sizeBytes === undefined ? '' : `, ${attachment.sizeBytes} bytes`;
        parts.push({ type: 'text', text: `[Attached file ${attachment.name} (${attachment.mediaType ?? 'unknown type'}${size}) was not read]` });
      }
    }
    return parts;
  }

  private fromDiscord(url: string): boolean {
    const origin = originOf(url);
    return origin !== undefined && this.options.fileOrigins.includes(origin);
  }

  /** The head of a text file (the rest is never downloaded), through fetch_url's address policy. */
  private async download(attachment: Attachment, maxBytes: number, signal: AbortSignal): Promise<{ body: string; truncated: boolean } | { skipped: string }> {
    if ((attachment.sizeBytes ?? 0) > this.options.maxFileBytes) return { skipped: `it is larger than ${this.options.maxFileBytes} bytes` };
    try {
      // A file that says it is too large is refused before its body is read; whatever it says,
      // no more than the text budget is read.
      const response = await guardedFetch(attachment.url, {
        policy: this.policy,
        signal,
        purpose: 'attachment downloads',
        origins: this.options.fileOrigins,
        maxBytes,
        overLimit: 'truncate',
        maxDeclaredBytes: this.options.maxFileBytes,
      });
      if (response.statusCode !== 200) {
        this.options.log.warn({ name: attachment.name, status: response.statusCode }, 'attachment download failed');
        return { skipped: `the download answered ${response.statusCode}` };
      }
      // A cut may split a multi-byte character; the decoder drops the broken tail.
      const body = new TextDecoder('utf-8', { fatal: false }).decode(response.body).replace(/\uFFFD$/, '');
      return { body, truncated: response.truncated };
    } catch (error) {
      if (signal.aborted) throw error;
      this.options.log.warn({ name: attachment.name, error: String(error) }, 'attachment download failed');
      return { skipped: skipReason(error, this.options.maxFileBytes) };
    }
  }
}

function originOf(url: string): string | undefined {
  try {
    return new URL(url).origin;
  } catch {
    return undefined;
  }
}

function skipped(attachment: Attachment, why: string): ContentPart {
  return { type: 'text', text: `[Attached file ${attachment.name} was not read: ${why}]` };
}

function skipReason(error: unknown, maxFileBytes: number): string {
  if (error instanceof BodyTooLargeError) return `it is larger than ${maxFileBytes} bytes`;
  if (error instanceof FetchUrlRefusedError) return 'its address may not be reached';
  return 'the download failed';
}

function toChatMessage(message: ApiMessage, botId: string): ChatMessage | undefined {
  if (message.author.id === botId) {
    if (message.content.trim() === '' || message.content === PLACEHOLDER_TEXT) return undefined;
    // Still streaming (it carries a Stop button): another answer's unfinished text, not a turn yet.
    if (JSON.stringify(message.components ?? []).includes('ofox:stop:')) return undefined;
    return { role: 'assistant', content: message.content };
  }
  const users = new Map((message.mentions ?? []).map((user) => [user.id, user.global_name ?? user.username]));
  const files = (message.attachments ?? []).map((file) => `[attached: ${file.filename}]`).join(' ');
  const content = [promptFromContent(message.content, { botId, users }), forwardedText(message), files].filter((part) => part !== '').join('\n');
  if (content === '') return undefined;
  const name = participantName(message.author.global_name ?? message.author.username);
  return { role: 'user', content, ...(name ? { name } : {}) };
}
