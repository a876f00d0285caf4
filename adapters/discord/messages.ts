import { Routes, type REST } from 'discord.js';
import { SurfaceMessageGoneError, type MessageRef } from '../../src/render/surface.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import type { ButtonRow } from './components.ts';
import type { InteractionTokenStore } from './interaction-tokens.ts';
import { surfaceCall } from './rest.ts';

/**
 * Every write the worker makes to Discord goes through here, so `allowed_mentions: { parse: [] }`
 * is on every create and every edit, and a message is edited through the right door: the channel
 * route for ordinary messages, the interaction webhook for a slash command's reply and follow-ups.
 */

export const EPHEMERAL_FLAG = 1 << 6;
const NO_PINGS = { parse: [] as string[] };
const SNOWFLAKE = /^\d{17,20}$/;

export interface MessageBody {
  content?: string;
  components?: ButtonRow[];
  flags?: number;
}

/** `extra.kind` of a MessageRef: where the message came from decides how it is edited. */
export type RefKind = 'channel' | 'interaction' | 'followup';

export function refKind(ref: MessageRef): RefKind {
  const kind = ref.extra?.kind;
  return kind === 'interaction' || kind === 'followup' ? kind : 'channel';
}

interface ApiMessage {
  id: string;
  channel_id: string;
}

export interface DiscordMessagesOptions {
  rest: REST;
  applicationId: string;
  tokens: InteractionTokenStore;
}

export class DiscordMessages {
  private readonly options: DiscordMessagesOptions;

  constructor(options: DiscordMessagesOptions) {
    this.options = options;
  }

  /**
   * Posts in a channel or thread, optionally as a reply (which never pings the replied user).
   * `nonce` (at most 25 characters): the REST client resends a POST that timed out even when the
   * first one landed, so Discord is asked to return the message it already made for this nonce.
   */
  async post(channelId: string, body: MessageBody, replyTo?: string, nonce?: string): Promise<MessageRef> {
    const message = await surfaceCall(
      () =>
        this.options.rest.post(Routes.channelMessages(channelId), {
          body: {
            ...body,
            allowed_mentions: NO_PINGS,
            ...(replyTo ? { message_reference: { message_id: replyTo, fail_if_not_exists: false } } : {}),
            ...(nonce ? { nonce, enforce_nonce: true } : {}),
          },
        }) as Promise<ApiMessage>,
    );
    return { id: message.id, channelId: message.channel_id };
  }

  /** A follow-up on the interaction; undefined when its token is gone (expired or never stored). */
  async followUp(interactionId: string, channelId: string, body: MessageBody): Promise<MessageRef | undefined> {
    const jobId = jobIdFor('discord', interactionId);
    const token = await this.options.tokens.get(jobId);
    if (!token) return undefined;
    let message: ApiMessage;
    try {
      message = await surfaceCall(
        () =>
          this.options.rest.post(Routes.webhook(this.options.applicationId, token), {
            body: { ...body, allowed_mentions: NO_PINGS },
            query: new URLSearchParams({ wait: 'true' }),
            auth: false,
          }) as Promise<ApiMessage>,
      );
    } catch (error) {
      if (!(error instanceof SurfaceMessageGoneError)) throw error;
      // Discord no longer honours the token (expired early, app removed): stop using it.
      await this.options.tokens.forget(jobId);
      return undefined;
    }
    return { id: message.id, channelId: message.channel_id ?? channelId, extra: { kind: 'followup', interactionId } };
  }

  /** Whether the interaction behind a ref can still be written through its webhook. */
  async interactionUsable(interactionId: string): Promise<boolean> {
    return (await this.options.tokens.get(jobIdFor('discord', interactionId))) !== undefined;
  }

  /**
   * Throws SurfaceMessageGoneError when the message (or its interaction token) is gone.
   * `publicReply`: the interaction's messages are visible in the channel, so once the token is gone
   * they are still ordinary messages the app owns and can be edited through the channel route.
   */
  async edit(ref: MessageRef, body: MessageBody, options: { publicReply?: boolean } = {}): Promise<void> {
    const kind = refKind(ref);
    if (kind === 'channel') {
      await this.editInChannel(ref, body);
      return;
    }
    // '@original' (a private answer, or a job queued before ingress kept the real id) names nothing outside the webhook.
    const viaChannel = options.publicReply === true && SNOWFLAKE.test(ref.id);
    const interactionId = ref.extra?.interactionId ?? '';
    const jobId = jobIdFor('discord', interactionId);
    const token = await this.options.tokens.get(jobId);
    if (!token) {
      if (viaChannel) return this.editInChannel(ref, body);
      throw new SurfaceMessageGoneError(`discord: interaction ${interactionId} can no longer be edited (token expired)`);
    }
    const messageId = kind === 'interaction' ? '@original' : ref.id;
    try {
      await surfaceCall(() =>
        this.options.rest.patch(Routes.webhookMessage(this.options.applicationId, token, messageId), {
          body: { ...body, allowed_mentions: NO_PINGS },
          auth: false,
        }),
      );
    } catch (error) {
      if (!(error instanceof SurfaceMessageGoneError)) throw error;
      if (kind === 'interaction') await this.options.tokens.forget(jobId);
      // The token died early (or the message did: then the channel route says so too).
      if (viaChannel) return this.editInChannel(ref, body);
      throw error;
    }
  }

  private async editInChannel(ref: MessageRef, body: MessageBody): Promise<void> {
    await surfaceCall(() => this.options.rest.patch(Routes.channelMessage(ref.channelId, ref.id), { body: { ...body, allowed_mentions: NO_PINGS } }));
  }

  async typing(channelId: string): Promise<void> {
    await this.options.rest.post(Routes.channelTyping(channelId));
  }
}
