import { createHash } from 'node:crypto';
import type { Logger } from '../../src/observability/logger.ts';
import { jobIdFor, type ChatJob } from '../../src/queue/chat-job.ts';
import { SurfaceRateLimitedError, type MessageOptions, type MessageRef, type PlannedWrite, type Surface, type SurfaceLimits } from '../../src/render/surface.ts';
import type { WriteBudget } from '../../src/render/write-budget.ts';
import { componentsFor } from './components.ts';
import { DiscordRejectedError } from './errors.ts';
import { toDiscordSubtext, toDiscordText } from './formatting.ts';
import { EPHEMERAL_FLAG, refKind, type DiscordMessages, type MessageBody } from './messages.ts';
import type { RateLimitObserver } from './rate-limit-observer.ts';
import { DISCORD_GLOBAL_BUDGET_KEY, discordChannelWriteBudgets, discordWebhookBudgets } from './write-budgets.ts';
import { typingIfRoom } from './paced-writes.ts';

/**
 * One answer's messages on Discord. The first is the placeholder ingress posted (a reply, or the
 * slash command's deferred reply); parts past 2,000 characters are new messages, each replying to
 * the previous part so the reply chain (the transcript) stays whole.
 *
 * A slash command's reply is edited through its interaction token while Discord honours it (15
 * minutes); after that a public reply is edited as the channel message it is, and new parts are
 * ordinary channel messages. A private (ephemeral) answer cannot move into the channel, so it ends.
 */

export interface DiscordSurfaceLimits {
  /** @defaultValue 2_000 */
  maxChars: number;
  /**
   * Between two updates of one message. The channel's bucket is what Discord limits; this only
   * keeps one answer from taking every token (a message's final write does not wait for it).
   * @defaultValue 500
   */
  minEditIntervalMs: number;
  /** A channel's message bucket (creates and edits) until X-RateLimit headers have said otherwise. @defaultValue 5 */
  channelEditsPerWindow: number;
  /** @defaultValue 5_000 */
  channelWindowMs: number;

}

export const DEFAULT_DISCORD_LIMITS: DiscordSurfaceLimits = {
  maxChars: 2_000,
  minEditIntervalMs: 500,
  channelEditsPerWindow: 5,
  channelWindowMs: 5_000,
};

export interface DiscordSurfaceDeps {
  messages: DiscordMessages;
  rateLimits: RateLimitObserver;
  log: Logger;
  limits: DiscordSurfaceLimits;
}

export class DiscordSurface implements Surface {
  readonly channelKey: string;
  private readonly job: ChatJob;
  private readonly deps: DiscordSurfaceDeps;
  private readonly channelId: string;
  /** The interaction behind a slash command's answer, if any. */
  private readonly interactionId: string | undefined;
  /** The last part written, which the next part replies to. */
  private previousId: string | undefined;
  /** Counts the answer's messages; with the job it names the next create's nonce. */
  private part: number;

  constructor(job: ChatJob, deps: DiscordSurfaceDeps) {
    this.job = job;
    this.deps = deps;
    this.channelId = job.threadId ?? job.channelId;
    this.channelKey = `discord:${this.channelId}`;
    const placeholder = job.placeholder;
    this.interactionId = placeholder && refKind(placeholder) === 'interaction' ? placeholder.extra?.interactionId : undefined;
    // Without a placeholder (the ingress acknowledged with typing instead) the first part replies to
    // the question itself, so the reply chain (the transcript) stays whole.
    this.previousId = placeholder ? (refKind(placeholder) === 'channel' ? placeholder.id : undefined) : job.messageId;
    // A retried job starts after the messages it already recorded, so it never reuses their nonces.
    this.part = (placeholder ? 1 : 0) + job.continuations.length;
  }

  /**
   * Stays the same until a create succeeds: the renderer's retry of a create that failed (perhaps
   * after it landed) is deduplicated by Discord, while the next part, or a part posted anew after
   * its message was deleted, gets a fresh one.
   */
  private nonce(): string {
    const job = createHash('sha256').update(jobIdFor(this.job.platform, this.job.eventId)).digest('base64url').slice(0, 18);
    return `${job}.${this.part.toString(36)}`;
  }

  get limits(): SurfaceLimits {
    return { maxChars: this.deps.limits.maxChars, minEditIntervalMs: this.deps.limits.minEditIntervalMs };
  }

  /**
   * A channel message's create or edit: the channel's bucket (learned from the headers) and the
   * bot's, in one grant; an interaction's reply or follow-up: its webhook's bucket (the REST client
   * draws the bot's for anything else it sends, `paceEveryRequest`).
   */
  budgetsFor(write: PlannedWrite): WriteBudget[] {
    const interactionId = write.kind === 'create' ? this.interactionId : write.ref && refKind(write.ref) !== 'channel' ? write.ref.extra?.interactionId : undefined;
    if (interactionId) return discordWebhookBudgets(interactionId);
    const defaults = { limit: this.deps.limits.channelEditsPerWindow, windowMs: this.deps.limits.channelWindowMs };
    return discordChannelWriteBudgets(this.deps.rateLimits, this.channelId, write.kind, defaults);
  }

  /**
   * A 429 holds off the budget it came from: the bot's for a global limit, else the channel's (or
   * the webhook's), never the bot's for one channel's limit.
   */
  private async paced<T>(route: 'create' | 'edit', call: () => Promise<T>): Promise<T> {
    try {
      return await call();
    } catch (error) {
      if (!(error instanceof SurfaceRateLimitedError) || error.budgetKeys) throw error;
      const global = (error.cause as { global?: unknown } | undefined)?.global === true;
      const keys = global ? [DISCORD_GLOBAL_BUDGET_KEY] : [this.deps.rateLimits.messageBudget(this.channelId, route).key];
      throw new SurfaceRateLimitedError(error.retryAfterMs, error.message, keys);
    }
  }

  private body(text: string, options: MessageOptions): MessageBody {
    const components = componentsFor(options.controls, options.final);
    // Discord refuses an empty message; a part is never meant to be blank, so show an ellipsis.
    const content = text.trim() === '' ? '…' : toDiscordText(text, this.deps.limits.maxChars);
    // The reasoning line rides under the text when it fits; the renderer never counts it toward splitting.
    const subtext = options.reasoning ? toDiscordSubtext(options.reasoning) : '';
    const withSubtext = subtext && content.length + 1 + subtext.length <= this.deps.limits.maxChars ? `${content}\n${subtext}` : content;
    return { content: withSubtext, ...(components ? { components } : {}) };
  }

  create(text: string, options: MessageOptions = {}): Promise<MessageRef> {
    // A channel post drew the bot's token with the channel's (`budgetsFor`); a follow-up did not,
    // and draws it in the client if it falls back to the channel (`paceEveryRequest`).
    return this.paced('create', () => this.post(text, options));
  }

  private async post(text: string, options: MessageOptions): Promise<MessageRef> {
    const body = this.body(text, options);
    if (this.interactionId) {
      const flags = this.job.private ? EPHEMERAL_FLAG : undefined;
      const ref = await this.deps.messages.followUp(this.interactionId, this.channelId, { ...body, ...(flags ? { flags } : {}) });
      if (ref) {
        this.part += 1;
        return ref;
      }
      if (this.job.private) {
        throw new DiscordRejectedError('the private answer outlived its 15-minute interaction token; it cannot continue in the channel');
      }
      this.deps.log.info({ jobEventId: this.job.eventId }, 'interaction token expired; continuing the answer in channel messages');
    }
    const ref = await this.deps.messages.post(this.channelId, body, this.previousId, this.nonce());
    this.previousId = ref.id;
    this.part += 1;
    return ref;
  }

  async edit(ref: MessageRef, text: string, options: MessageOptions = {}): Promise<void> {
    const edit = () => this.deps.messages.edit(ref, this.body(text, options), { publicReply: !this.job.private });
    await this.paced('edit', edit);
  }

  async typing(): Promise<void> {
    // A deferred slash-command reply already shows "thinking…".
    if (this.interactionId) return;
    // Typing has a bucket of its own; when it is spent (the ingress typed already), skip it.
    try {
      await typingIfRoom(this.channelId, () => this.deps.messages.typing(this.channelId));
    } catch (error) {
      this.deps.log.debug({ error: String(error), channelId: this.channelId }, 'typing indicator failed');
    }
  }
}
