import { nextSnowflake } from './snowflake.ts';
import { rateLimitHeaders, type FixedWindowLimiter, type RateLimitRule } from './rate-limiter.ts';
import { ChannelKind, MessageFlag, MessageKind, type WireMessage } from './wire.ts';
import type { DiscordState, FakeInteraction, MessageWrite } from './state.ts';

/** Discord's REST API v10, the routes the bot uses, answered from the in-memory state. */

export interface RestRequest {
  method: string;
  /** Path after `/api/v10`. */
  path: string;
  query: URLSearchParams;
  body: unknown;
  authorization: string | undefined;
}

export interface RestResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RateLimitRules {
  /** POST /channels/:id/messages, per channel. */
  messageCreate: RateLimitRule | false;
  /** PATCH /channels/:id/messages/:id, per channel. */
  messageEdit: RateLimitRule | false;
  /** Webhook (interaction token) message edits and follow-ups, per token. */
  webhook: RateLimitRule | false;
}

export interface RestContext {
  state: DiscordState;
  token: string;
  gatewayUrl: () => string;
  baseUrl: () => string;
  limiter: FixedWindowLimiter;
  rules: RateLimitRules;
  maxContentLength: number;
  interactionAckDeadlineMs: number;
  omitDeferredResponseMessageId: boolean;
  /** Message writes still to be refused with a 429 regardless of buckets (a "429 storm"). */
  forced429: { remaining: number; retryAfterMs: number };
}

type Params = string[];
type Handler = (context: RestContext, request: RestRequest, params: Params) => RestResponse;

interface Route {
  method: string;
  pattern: RegExp;
  auth: boolean;
  handler: Handler;
}

const ID = '(\\d{17,20})';

export function apiError(status: number, code: number, message: string, errors?: unknown): RestResponse {
  return { status, body: { message, code, ...(errors === undefined ? {} : { errors }) } };
}

const unknownMessage = (): RestResponse => apiError(404, 10008, 'Unknown Message');
const unknownChannel = (): RestResponse => apiError(404, 10003, 'Unknown Channel');
const invalidWebhookToken = (): RestResponse => apiError(401, 50027, 'Invalid Webhook Token');

/** Discord's bot-wide limit: 50 requests a second per bot token (interaction webhooks are exempt). */
export const GLOBAL_RULE: RateLimitRule = { limit: 50, windowMs: 1_000 };
/** Typing has a bucket of its own per channel, apart from message writes. */
export const TYPING_RULE: RateLimitRule = { limit: 5, windowMs: 5_000 };

/**
 * Creates and edits of a channel's messages draw from one bucket, as on Discord, while their rules
 * are the same; a test that gives them different rules gets two buckets (and two bucket hashes).
 */
function messageBucket(context: RestContext, route: 'create' | 'edit'): string {
  return JSON.stringify(context.rules.messageCreate) === JSON.stringify(context.rules.messageEdit) ? 'fake-channel-messages' : `fake-message-${route}`;
}

function limited(context: RestContext, bucket: string, major: string, rule: RateLimitRule | false, run: () => RestResponse): RestResponse {
  if (context.forced429.remaining > 0) {
    context.forced429.remaining -= 1;
    const retryAfterMs = context.forced429.retryAfterMs;
    const limit = rule ? rule.limit : 5;
    const headers = rateLimitHeaders({ allowed: false, limit, remaining: 0, resetAt: Date.now() + retryAfterMs, resetAfterMs: retryAfterMs, bucket });
    return { status: 429, headers, body: { message: 'You are being rate limited.', retry_after: retryAfterMs / 1000, global: false } };
  }
  if (!rule) return run();
  const verdict = context.limiter.take(bucket, major, rule);
  const headers = rateLimitHeaders(verdict);
  if (!verdict.allowed) {
    return {
      status: 429,
      headers,
      body: { message: 'You are being rate limited.', retry_after: Number((verdict.resetAfterMs / 1000).toFixed(3)), global: false },
    };
  }
  const response = run();
  return { ...response, headers: { ...headers, ...response.headers } };
}

/** Validates a message body like Discord (content length, not empty); undefined when fine. */
function invalidBody(context: RestContext, write: MessageWrite, creating: boolean): RestResponse | undefined {
  const content = write.content;
  if (content !== undefined && content !== null && typeof content !== 'string') {
    return apiError(400, 50035, 'Invalid Form Body', { content: { _errors: [{ code: 'STRING_TYPE_CONVERT', message: 'Could not interpret value as string.' }] } });
  }
  if (typeof content === 'string' && content.length > context.maxContentLength) {
    return apiError(400, 50035, 'Invalid Form Body', {
      content: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${context.maxContentLength} or fewer in length.` }] },
    });
  }
  if (creating && !content && !(write.components?.length ?? 0) && !(write.embeds?.length ?? 0)) {
    return apiError(400, 50006, 'Cannot send an empty message');
  }
  return undefined;
}

function asWrite(body: unknown): MessageWrite {
  return (typeof body === 'object' && body !== null ? body : {}) as MessageWrite;
}

function listMessages(messages: WireMessage[], query: URLSearchParams): WireMessage[] {
  const limit = Math.min(100, Math.max(1, Number(query.get('limit') ?? 50)));
  const before = query.get('before');
  const after = query.get('after');
  let candidates = messages;
  if (before) candidates = candidates.filter((message) => BigInt(message.id) < BigInt(before));
  if (after) {
    // oldest first from `after`, then returned newest first like Discord
    return candidates
      .filter((message) => BigInt(message.id) > BigInt(after))
      .slice(0, limit)
      .reverse();
  }
  return candidates.slice(-limit).reverse();
}

function interactionByToken(context: RestContext, applicationId: string, token: string): FakeInteraction | RestResponse {
  if (applicationId !== context.state.applicationId) return apiError(404, 10015, 'Unknown Webhook');
  const interaction = context.state.interactionsByToken.get(token);
  if (!interaction) return apiError(404, 10015, 'Unknown Webhook');
  if (Date.now() > interaction.expiresAt) return invalidWebhookToken();
  return interaction;
}

function webhookTarget(context: RestContext, interaction: FakeInteraction, messageId: string): WireMessage | undefined {
  const id = messageId === '@original' ? interaction.responseMessageId : messageId;
  if (!id) return undefined;
  if (id !== interaction.responseMessageId && !interaction.followupIds.includes(id)) return undefined;
  return context.state.messages.get(id);
}

function interactionResponseMessage(context: RestContext, interaction: FakeInteraction, write: MessageWrite, loading: boolean): WireMessage {
  const ephemeral = ((write.flags ?? 0) & MessageFlag.Ephemeral) !== 0;
  return context.state.createMessage(
    interaction.channelId,
    context.state.bot,
    { ...write, flags: (write.flags ?? 0) | (loading ? MessageFlag.Loading : 0) },
    {
      type: MessageKind.ChatInputCommand,
      webhook_id: context.state.applicationId,
      application_id: context.state.applicationId,
      interaction_metadata: { id: interaction.id, type: interaction.type, user: interaction.user, authorizing_integration_owners: {} },
      flags: (write.flags ?? 0) | (loading ? MessageFlag.Loading : 0) | (ephemeral ? MessageFlag.Ephemeral : 0),
    },
  );
}

const routes: Route[] = [
  {
    method: 'GET',
    pattern: /^\/gateway\/bot$/,
    auth: true,
    handler: (context) => ({
      status: 200,
      body: { url: context.gatewayUrl(), shards: 1, session_start_limit: { total: 1000, remaining: 999, reset_after: 86_400_000, max_concurrency: 1 } },
    }),
  },
  { method: 'GET', pattern: /^\/gateway$/, auth: false, handler: (context) => ({ status: 200, body: { url: context.gatewayUrl() } }) },
  { method: 'GET', pattern: /^\/users\/@me$/, auth: true, handler: (context) => ({ status: 200, body: context.state.bot }) },
  {
    method: 'GET',
    pattern: new RegExp(`^/users/${ID}$`),
    auth: true,
    handler: (context, _request, [userId]) => {
      const user = context.state.users.get(userId ?? '');
      return user ? { status: 200, body: user } : apiError(404, 10013, 'Unknown User');
    },
  },
  {
    method: 'POST',
    pattern: /^\/users\/@me\/channels$/,
    auth: true,
    handler: (context, request) => {
      const recipientId = String((request.body as { recipient_id?: string } | undefined)?.recipient_id ?? '');
      const user = context.state.users.get(recipientId);
      return user ? { status: 200, body: context.state.dmChannelWith(user) } : apiError(400, 50035, 'Invalid Form Body');
    },
  },
  {
    method: 'GET',
    pattern: /^\/applications\/@me$/,
    auth: true,
    handler: (context) => ({ status: 200, body: { id: context.state.applicationId, name: context.state.bot.username, bot: context.state.bot, flags: context.state.applicationFlags } }),
  },
  ...(['PUT', 'GET'] as const).flatMap((method): Route[] => [
    {
      method,
      pattern: new RegExp(`^/applications/${ID}/commands$`),
      auth: true,
      handler: (context, request, [applicationId]) => commands(context, request, applicationId ?? '', 'global'),
    },
    {
      method,
      pattern: new RegExp(`^/applications/${ID}/guilds/${ID}/commands$`),
      auth: true,
      handler: (context, request, [applicationId, guildId]) => commands(context, request, applicationId ?? '', guildId ?? ''),
    },
  ]),
  {
    method: 'GET',
    pattern: new RegExp(`^/channels/${ID}$`),
    auth: true,
    handler: (context, _request, [channelId]) => {
      const channel = context.state.channels.get(channelId ?? '');
      return channel ? { status: 200, body: channel } : unknownChannel();
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/guilds/${ID}$`),
    auth: true,
    handler: (context, _request, [guildId]) => {
      const guild = context.state.guilds.get(guildId ?? '');
      if (!guild) return apiError(404, 10004, 'Unknown Guild');
      const { members: _members, channels: _channels, ...rest } = guild;
      return { status: 200, body: { ...rest, emojis: [], features: [], stickers: [], icon: null, premium_tier: 0 } };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/guilds/${ID}/members/${ID}$`),
    auth: true,
    handler: (context, _request, [guildId, userId]) => {
      const member = context.state.memberOf(guildId ?? '', userId ?? '');
      return member ? { status: 200, body: member } : apiError(404, 10007, 'Unknown Member');
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/channels/${ID}/messages$`),
    auth: true,
    handler: (context, request, [channelId]) => {
      if (!context.state.channels.has(channelId ?? '')) return unknownChannel();
      const visible = (context.state.channelMessages.get(channelId ?? '') ?? []).filter((message) => !(message.flags & MessageFlag.Ephemeral));
      return { status: 200, body: listMessages(visible, request.query) };
    },
  },
  {
    method: 'GET',
    pattern: new RegExp(`^/channels/${ID}/messages/${ID}$`),
    auth: true,
    handler: (context, _request, [channelId, messageId]) => {
      const message = context.state.messages.get(messageId ?? '');
      return message && message.channel_id === channelId && !(message.flags & MessageFlag.Ephemeral) ? { status: 200, body: message } : unknownMessage();
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/channels/${ID}/messages$`),
    auth: true,
    handler: (context, request, [channelId]) => {
      if (!context.state.channels.has(channelId ?? '')) return unknownChannel();
      return limited(context, messageBucket(context, 'create'), channelId ?? '', context.rules.messageCreate, () => {
        const write = asWrite(request.body);
        const invalid = invalidBody(context, write, true);
        if (invalid) return invalid;
        const referenceId = write.message_reference?.message_id;
        if (referenceId && !context.state.messages.has(referenceId) && write.message_reference?.fail_if_not_exists !== false) {
          return apiError(400, 50035, 'Invalid Form Body', { message_reference: { _errors: [{ code: 'MESSAGE_REFERENCE_UNKNOWN_MESSAGE', message: 'Unknown message' }] } });
        }
        const nonce = write.nonce;
        if (typeof nonce === 'string' && nonce.length > 25) {
          return apiError(400, 50035, 'Invalid Form Body', { nonce: { _errors: [{ code: 'BASE_TYPE_MAX_LENGTH', message: 'Must be 25 or fewer in length.' }] } });
        }
        const nonceKey = nonce === undefined ? undefined : `${channelId}:${String(nonce)}`;
        if (nonceKey && write.enforce_nonce) {
          // Discord answers a repeated nonce with the message it already made (the bot is the only author here).
          const existing = context.state.messages.get(context.state.nonces.get(nonceKey) ?? '');
          if (existing) return { status: 200, body: existing };
        }
        // Files sent as multipart parts become the message's attachments.
        const uploaded = ((request.body as { uploaded_files?: Array<{ filename: string; contentType: string; body: Buffer }> } | undefined)?.uploaded_files ?? []).map((file) =>
          context.state.addAttachment(channelId ?? '', file.filename, file.body, file.contentType, context.baseUrl()),
        );
        const { uploaded_files: _files, ...fields } = write as MessageWrite & { uploaded_files?: unknown };
        const message = context.state.createMessage(channelId ?? '', context.state.bot, { ...fields, flags: 0 }, { ...(nonce === undefined ? {} : { nonce }), ...(uploaded.length > 0 ? { attachments: uploaded } : {}) });
        if (nonceKey) context.state.nonces.set(nonceKey, message.id);
        return { status: 200, body: message };
      });
    },
  },
  {
    method: 'PATCH',
    pattern: new RegExp(`^/channels/${ID}/messages/${ID}$`),
    auth: true,
    handler: (context, request, [channelId, messageId]) => {
      const message = context.state.messages.get(messageId ?? '');
      if (!message || message.channel_id !== channelId) return unknownMessage();
      return limited(context, messageBucket(context, 'edit'), channelId ?? '', context.rules.messageEdit, () => {
        if (message.author.id !== context.state.bot.id) return apiError(403, 50005, 'Cannot edit a message authored by another user');
        const write = asWrite(request.body);
        const invalid = invalidBody(context, write, false);
        if (invalid) return invalid;
        return { status: 200, body: context.state.editMessage(message, write) };
      });
    },
  },
  {
    method: 'DELETE',
    pattern: new RegExp(`^/channels/${ID}/messages/${ID}$`),
    auth: true,
    handler: (context, _request, [channelId, messageId]) => {
      const message = context.state.messages.get(messageId ?? '');
      if (!message || message.channel_id !== channelId) return unknownMessage();
      context.state.deleteMessage(message);
      return { status: 204 };
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/channels/${ID}/typing$`),
    auth: true,
    handler: (context, _request, [channelId]) => {
      if (!context.state.channels.has(channelId ?? '')) return unknownChannel();
      const verdict = context.limiter.take('fake-typing', channelId ?? '', TYPING_RULE);
      const headers = rateLimitHeaders(verdict);
      if (!verdict.allowed) return { status: 429, headers, body: { message: 'You are being rate limited.', retry_after: Number((verdict.resetAfterMs / 1000).toFixed(3)), global: false } };
      return { status: 204, headers };
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/channels/${ID}/messages/${ID}/threads$`),
    auth: true,
    handler: (context, request, [channelId, messageId]) => {
      const message = context.state.messages.get(messageId ?? '');
      if (!message || message.channel_id !== channelId) return unknownMessage();
      const channel = context.state.channels.get(channelId ?? '');
      if (channel?.type !== ChannelKind.GuildText) return apiError(400, 50024, 'Cannot execute action on this channel type');
      if (message.thread) return apiError(400, 160004, 'A thread has already been created for this message');
      const body = (request.body ?? {}) as { name?: string; auto_archive_duration?: number };
      const name = String(body.name ?? '');
      if (name.length < 1 || name.length > 100) {
        return apiError(400, 50035, 'Invalid Form Body', { name: { _errors: [{ code: 'BASE_TYPE_BAD_LENGTH', message: 'Must be between 1 and 100 in length.' }] } });
      }
      return { status: 201, body: context.state.startThread(message, name, body.auto_archive_duration ?? 1440, context.state.bot) };
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/interactions/${ID}/([^/]+)/callback$`),
    auth: false,
    handler: (context, request, [interactionId, token]) => {
      const interaction = context.state.interactions.get(interactionId ?? '');
      if (!interaction || interaction.token !== token) return apiError(404, 10062, 'Unknown interaction');
      const elapsed = Date.now() - interaction.createdAt;
      if (elapsed > context.interactionAckDeadlineMs) return apiError(404, 10062, 'Unknown interaction');
      if (interaction.callbackType !== undefined) return apiError(400, 40060, 'Interaction has already been acknowledged.');
      const body = (request.body ?? {}) as { type?: number; data?: MessageWrite };
      const write = body.data ?? {};
      let message: WireMessage | undefined;
      if (body.type === 4 || body.type === 7) {
        const invalid = invalidBody(context, write, body.type === 4);
        if (invalid) return invalid;
      }
      switch (body.type) {
        case 4:
          message = interactionResponseMessage(context, interaction, write, false);
          break;
        case 5:
          message = interactionResponseMessage(context, interaction, { content: '', flags: write.flags ?? 0 }, true);
          break;
        case 6:
          break;
        case 7: {
          const target = interaction.messageId ? context.state.messages.get(interaction.messageId) : undefined;
          if (!target) return unknownMessage();
          message = context.state.editMessage(target, write);
          break;
        }
        default:
          return apiError(400, 50035, 'Invalid Form Body', { type: { _errors: [{ code: 'BASE_TYPE_CHOICES', message: `Value must be one of {4, 5, 6, 7}.` }] } });
      }
      interaction.callbackType = body.type;
      interaction.acknowledgedAfterMs = elapsed;
      if (message && (body.type === 4 || body.type === 5)) {
        interaction.responseMessageId = message.id;
        interaction.ephemeral = (message.flags & MessageFlag.Ephemeral) !== 0;
      }
      if (request.query.get('with_response') !== 'true') return { status: 204 };
      return {
        status: 200,
        body: {
          interaction: {
            id: interaction.id,
            type: interaction.type,
            response_message_id: body.type === 5 && context.omitDeferredResponseMessageId ? undefined : message?.id,
            response_message_loading: body.type === 5,
            response_message_ephemeral: interaction.ephemeral,
          },
          resource: { type: body.type, ...(message && body.type !== 5 ? { message } : {}) },
        },
      };
    },
  },
  {
    method: 'POST',
    pattern: new RegExp(`^/webhooks/${ID}/([^/]+)$`),
    auth: false,
    handler: (context, request, [applicationId, token]) => {
      const found = interactionByToken(context, applicationId ?? '', token ?? '');
      if (!('token' in found)) return found;
      if (found.callbackType === undefined) return apiError(404, 10015, 'Unknown Webhook');
      return limited(context, 'fake-webhook', `${applicationId}/${token}`, context.rules.webhook, () => {
        const write = asWrite(request.body);
        const invalid = invalidBody(context, write, true);
        if (invalid) return invalid;
        const message = interactionResponseMessage(context, found, write, false);
        found.followupIds.push(message.id);
        return { status: 200, body: message };
      });
    },
  },
  ...(['GET', 'PATCH', 'DELETE'] as const).map(
    (method): Route => ({
      method,
      pattern: new RegExp(`^/webhooks/${ID}/([^/]+)/messages/(@original|\\d{17,20})$`),
      auth: false,
      handler: (context, request, [applicationId, token, messageId]) => {
        const found = interactionByToken(context, applicationId ?? '', token ?? '');
        if (!('token' in found)) return found;
        const message = webhookTarget(context, found, messageId ?? '');
        if (!message) return unknownMessage();
        if (method === 'GET') return { status: 200, body: message };
        if (method === 'DELETE') {
          context.state.deleteMessage(message);
          return { status: 204 };
        }
        return limited(context, 'fake-webhook', `${applicationId}/${token}`, context.rules.webhook, () => {
          const write = asWrite(request.body);
          const invalid = invalidBody(context, write, false);
          if (invalid) return invalid;
          return { status: 200, body: context.state.editMessage(message, write) };
        });
      },
    }),
  ),
];

function commands(context: RestContext, request: RestRequest, applicationId: string, scope: string): RestResponse {
  if (applicationId !== context.state.applicationId) return apiError(403, 50001, 'Missing Access');
  if (request.method === 'GET') return { status: 200, body: context.state.commands.get(scope) ?? [] };
  if (!Array.isArray(request.body)) return apiError(400, 50035, 'Invalid Form Body');
  const stored = (request.body as Record<string, unknown>[]).map((command) => ({
    id: nextSnowflake(),
    application_id: applicationId,
    version: nextSnowflake(),
    type: 1,
    ...(scope === 'global' ? {} : { guild_id: scope }),
    ...command,
  }));
  context.state.commands.set(scope, stored);
  return { status: 200, body: stored };
}

/** Routes one request; authentication is checked here like Discord's edge does. */
export function routeRest(context: RestContext, request: RestRequest): RestResponse {
  // Clients percent-encode segments (`%40original`, tokens); match on the decoded path.
  const path = request.path
    .split('/')
    .map((segment) => {
      try {
        return decodeURIComponent(segment);
      } catch {
        return segment;
      }
    })
    .join('/');
  for (const route of routes) {
    if (route.method !== request.method) continue;
    const match = route.pattern.exec(path);
    if (!match) continue;
    if (route.auth && request.authorization !== `Bot ${context.token}`) return apiError(401, 0, '401: Unauthorized');
    if (route.auth) {
      const global = context.limiter.take('global', 'bot', GLOBAL_RULE);
      if (!global.allowed) {
        const retryAfter = (global.resetAfterMs / 1000).toFixed(3);
        return { status: 429, headers: { 'retry-after': retryAfter, 'x-ratelimit-global': 'true', 'x-ratelimit-scope': 'global' }, body: { message: 'You are being rate limited.', retry_after: Number(retryAfter), global: true } };
      }
    }
    return route.handler(context, request, match.slice(1).map((param) => param ?? ''));
  }
  return apiError(404, 0, '404: Not Found');
}

