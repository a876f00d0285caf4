import { DiscordAPIError, Routes, type REST } from 'discord.js';
import type { Logger } from '../../src/observability/logger.ts';
import type { Attachment, ChatJob } from '../../src/queue/chat-job.ts';
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

export interface DiscordConversationOptions {
  rest: REST;
  log: Logger;
  /** The bot's user id (GET /users/@me), resolved once. */
  botUserId: () => Promise<string>;
  /** Downloads text attachments. @defaultValue global fetch */
  fetch?: typeof fetch;
}

export class DiscordConversationReader implements ConversationReader {
  private readonly options: DiscordConversationOptions;

  constructor(options: DiscordConversationOptions) {
    this.options = options;
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
    const trigger = (await this.get(Routes.channelMessage(job.channelId, job.messageId ?? ''), options.signal)) as ApiMessage | undefined;
    if (trigger?.message_reference?.message_id) return this.replyChain(job, options);
    const query = new URLSearchParams({ limit: String(Math.min(100, options.maxMessages + 2)), before: job.messageId ?? '' });
    const recent = ((await this.get(Routes.channelMessages(job.channelId), options.signal, query)) as ApiMessage[] | undefined) ?? [];
    return recent.slice().reverse();
  }

  /** The trigger's reply chain, followed upwards, oldest first. */
  private async replyChain(job: ChatJob, options: { signal: AbortSignal; maxMessages: number }): Promise<ApiMessage[]> {
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
      if (attachment.kind === 'image') {
        parts.push({ type: 'image', url: attachment.url, ...(attachment.mediaType ? { mediaType: attachment.mediaType } : {}) });
      } else if (attachment.kind === 'text' && budget > 0) {
        const text = await this.download(attachment, budget, options.signal);
        if (text === undefined) continue;
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

  private async download(attachment: Attachment, maxBytes: number, signal: AbortSignal): Promise<{ body: string; truncated: boolean } | undefined> {
    try {
      const response = await (this.options.fetch ?? fetch)(attachment.url, { signal });
      if (!response.ok || !response.body) {
        this.options.log.warn({ name: attachment.name, status: response.status }, 'attachment download failed');
        return undefined;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      let truncated = false;
      for await (const chunk of response.body) {
        const buffer = Buffer.from(chunk as Uint8Array);
        if (size + buffer.length > maxBytes) {
          chunks.push(buffer.subarray(0, maxBytes - size));
          truncated = true;
          break;
        }
        chunks.push(buffer);
        size += buffer.length;
      }
      // A cut may split a multi-byte character; the decoder drops the broken tail.
      const body = new TextDecoder('utf-8', { fatal: false }).decode(Buffer.concat(chunks)).replace(/\uFFFD$/, '');
      return { body, truncated };
    } catch (error) {
      if (signal.aborted) throw error;
      this.options.log.warn({ name: attachment.name, error: String(error) }, 'attachment download failed');
      return undefined;
    }
  }
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
