import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { FakeGateway } from './gateway.ts';
import { FixedWindowLimiter, type RateLimitRule } from './rate-limiter.ts';
import { routeRest, type RateLimitRules, type RestContext } from './rest-routes.ts';
import { nextSnowflake } from './snowflake.ts';
import { DiscordState, type FakeInteraction, type Pings } from './state.ts';
import { DEFAULT_MEMBER_PERMISSIONS, Intent, type WireChannel, type WireGuild, type WireMessage, type WireRole, type WireUser } from './wire.ts';

/**
 * A loopback Discord: REST under `/api/v10` and the gateway WebSocket on the same port, so the real
 * discord.js client (and @discordjs/rest) run against it unchanged. Everything is in memory and
 * per-request work is a map lookup, so hundreds of concurrent streams stay cheap.
 */

export interface FakeDiscordOptions {
  /** @defaultValue a random token */
  token?: string;
  /** @defaultValue a fresh snowflake */
  applicationId?: string;
  /** @defaultValue 'Ofox' */
  botName?: string;
  /** Per-channel buckets; `false` turns one off. @defaultValue 5 per 5 s for creates, edits and webhook writes */
  rateLimits?: Partial<RateLimitRules>;
  /** @defaultValue 2000 */
  maxContentLength?: number;
  /** Interaction tokens stop working after this. @defaultValue 15 minutes */
  interactionTokenTtlMs?: number;
  /** An interaction must be acknowledged within this. @defaultValue 3000 */
  interactionAckDeadlineMs?: number;
  /** Leave `response_message_id` out of a deferral's `with_response` answer (Discord does not promise it). @defaultValue false */
  omitDeferredResponseMessageId?: boolean;
  /** @defaultValue 41250 */
  heartbeatIntervalMs?: number;
  /** Added before every REST answer, to make races visible. @defaultValue 0 */
  latencyMs?: number;
}

export interface RecordedRequest {
  method: string;
  /** Path after `/api/v10`, e.g. `/channels/123/messages/456`. */
  path: string;
  query: string;
  body: unknown;
  /** `allowed_mentions` of the body (or of `data` for interaction callbacks), when present. */
  allowedMentions: unknown;
  status: number;
  /** On a 429, the limit that refused it: `user` (the route's bucket) or `global` (the bot-wide 50/s). */
  rateLimitScope?: string;
  at: number;
}

export interface AttachmentInput {
  filename: string;
  contentType: string;
  /** The file's bytes; text is stored as UTF-8. */
  body: string | Buffer;
}

export interface UserMessageInput {
  content: string;
  /** @defaultValue the default human user (alice) */
  author?: WireUser;
  /** @defaultValue the default guild text channel */
  channelId?: string;
  /** Prepends `<@bot> ` to the content. */
  mentionBot?: boolean;
  /** Prepends `<@&botRole> ` to the content. */
  mentionBotRole?: boolean;
  attachments?: AttachmentInput[];
  /** Message id this one replies to (message_reference). */
  replyTo?: string;
  /** Whether the reply pings the replied author, as Discord's client does by default. @defaultValue true */
  pingRepliedUser?: boolean;
}

export interface ForwardInput {
  /** The message being forwarded (any channel the fake knows). */
  messageId: string;
  /** @defaultValue the default human user (alice) */
  author?: WireUser;
  /** Where the forward is posted. @defaultValue the default guild text channel */
  channelId?: string;
}

export interface InteractionInput {
  user?: WireUser;
  /** @defaultValue the default guild text channel */
  channelId?: string;
  /** The member's permissions in the channel. @defaultValue view/send/history/threads */
  permissions?: bigint;
  /** Extra role ids the member holds. */
  roles?: string[];
  /**
   * When Discord created the interaction (its id's timestamp, and the start of the 3 s and 15 min
   * clocks); earlier than now simulates gateway delay. @defaultValue now
   */
  createdAt?: number;
}

export interface SlashCommandInput extends InteractionInput {
  name: string;
  options?: Record<string, string | number | boolean>;
}

export interface ButtonClickInput extends InteractionInput {
  messageId: string;
  customId: string;
}

const DEFAULT_RULE: RateLimitRule = { limit: 5, windowMs: 5000 };

export class FakeDiscord {
  readonly token: string;
  readonly applicationId: string;
  readonly state: DiscordState;
  readonly gateway: FakeGateway;
  readonly bot: WireUser;
  readonly guild: WireGuild;
  /** The default guild text channel (#general). */
  readonly channel: WireChannel;
  readonly botRole: WireRole;
  /** A role tests can list in DISCORD_ADMIN_ROLE_IDS. */
  readonly adminRole: WireRole;
  readonly alice: WireUser;
  readonly bob: WireUser;
  /** Another bot in the guild. */
  readonly otherBot: WireUser;
  readonly requests: RecordedRequest[] = [];
  readonly rules: RateLimitRules;
  readonly #server: Server;
  readonly #limiter = new FixedWindowLimiter();
  readonly #options: FakeDiscordOptions;
  readonly #context: RestContext;
  #port = 0;
  /** REST answers still to be held back after the request took effect. */
  #slowAnswers = { remaining: 0, delayMs: 0 };

  private constructor(options: FakeDiscordOptions) {
    this.#options = options;
    this.token = options.token ?? `fake.${randomBytes(12).toString('hex')}`;
    this.applicationId = options.applicationId ?? nextSnowflake();
    this.state = new DiscordState(this.applicationId, options.botName ?? 'Ofox');
    this.bot = this.state.bot;
    this.alice = this.state.addUser('alice');
    this.bob = this.state.addUser('bob');
    this.otherBot = this.state.addUser('helperbot', true);
    const created = this.state.addGuild('Test Guild', this.alice.id);
    this.guild = created.guild;
    this.channel = created.channel;
    this.botRole = created.botRole;
    this.adminRole = created.adminRole;
    this.rules = {
      messageCreate: options.rateLimits?.messageCreate ?? DEFAULT_RULE,
      messageEdit: options.rateLimits?.messageEdit ?? DEFAULT_RULE,
      webhook: options.rateLimits?.webhook ?? DEFAULT_RULE,
    };
    this.gateway = new FakeGateway({
      token: this.token,
      applicationId: this.applicationId,
      botUser: () => this.bot,
      guilds: () => [...this.state.guilds.values()],
      heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    });
    this.state.setDispatcher((type, data, scope) => this.gateway.dispatch(type, data, scope));
    this.#context = {
      state: this.state,
      token: this.token,
      gatewayUrl: () => this.gatewayUrl,
      baseUrl: () => this.baseUrl,
      limiter: this.#limiter,
      rules: this.rules,
      maxContentLength: options.maxContentLength ?? 2000,
      interactionAckDeadlineMs: options.interactionAckDeadlineMs ?? 3000,
      omitDeferredResponseMessageId: options.omitDeferredResponseMessageId ?? false,
      forced429: { remaining: 0, retryAfterMs: 0 },
    };
    this.#server = createServer((request, response) => {
      this.#onRequest(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'application/json' });
        response.end(JSON.stringify({ message: String(error), code: 0 }));
      });
    });
    this.#server.on('upgrade', (request, socket, head) => this.gateway.handleUpgrade(request, socket, head));
    this.#server.keepAliveTimeout = 60_000;
  }

  static async start(options: FakeDiscordOptions = {}): Promise<FakeDiscord> {
    const fake = new FakeDiscord(options);
    await new Promise<void>((resolve) => fake.#server.listen(0, '127.0.0.1', resolve));
    const address = fake.#server.address();
    fake.#port = typeof address === 'object' && address ? address.port : 0;
    fake.gateway.url = fake.gatewayUrl;
    return fake;
  }

  get baseUrl(): string {
    return `http://127.0.0.1:${this.#port}`;
  }

  /** What DISCORD_API_URL should be: @discordjs/rest appends `/v10`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api`;
  }

  get gatewayUrl(): string {
    return `ws://127.0.0.1:${this.#port}`;
  }

  async stop(): Promise<void> {
    await this.gateway.close();
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- world building -------------------------------------------------------------------------

  addUser(username: string, options: { bot?: boolean } = {}): WireUser {
    return this.state.addUser(username, options.bot ?? false);
  }

  addTextChannel(name: string): WireChannel {
    return this.state.addTextChannel(this.guild.id, name);
  }

  /** Another guild the bot is in (before the gateway connects, so READY lists it); its #general channel. */
  addGuild(name: string): { guild: WireGuild; channel: WireChannel } {
    const { guild, channel } = this.state.addGuild(name, this.alice.id);
    return { guild, channel };
  }

  /** The next `count` message writes (channel or webhook, create or edit) get a 429, whatever the buckets say. */
  rateLimitNext(count: number, retryAfterMs = 500): void {
    this.#context.forced429 = { remaining: count, retryAfterMs };
  }

  /**
   * The next `count` REST requests take effect at once but are answered `delayMs` later, as when
   * Discord made the message and the answer was lost or slow: the client's timeout fires anyway.
   */
  delayNextAnswers(count: number, delayMs: number): void {
    this.#slowAnswers = { remaining: count, delayMs };
  }

  setRateLimits(rules: Partial<RateLimitRules>): void {
    Object.assign(this.rules, rules);
    this.#limiter.reset();
  }

  // ---- simulated people -----------------------------------------------------------------------

  /** A person (or, with a bot author, a bot) posts in a guild channel or thread; MESSAGE_CREATE is dispatched. */
  userSays(input: UserMessageInput): WireMessage {
    const author = input.author ?? this.alice;
    const channelId = input.channelId ?? this.channel.id;
    let content = input.content;
    if (input.mentionBotRole) content = `<@&${this.botRole.id}> ${content}`;
    if (input.mentionBot) content = `<@${this.bot.id}> ${content}`;
    const attachments = (input.attachments ?? []).map((file) =>
      this.state.addAttachment(channelId, file.filename, typeof file.body === 'string' ? Buffer.from(file.body, 'utf8') : file.body, file.contentType, this.baseUrl),
    );
    return this.state.createMessage(
      channelId,
      author,
      {
        content,
        ...(input.replyTo ? { message_reference: { message_id: input.replyTo } } : {}),
        ...(input.replyTo && input.pingRepliedUser === false ? { allowed_mentions: { parse: ['users', 'roles', 'everyone'], replied_user: false } } : {}),
      },
      { attachments },
    );
  }

  /**
   * A person forwards a message: a new message with empty content, a message_reference of type 1
   * (FORWARD) and the original's copy in `message_snapshots`; MESSAGE_CREATE is dispatched.
   */
  forward(input: ForwardInput): WireMessage {
    const original = this.state.messages.get(input.messageId);
    if (!original) throw new Error(`unknown message ${input.messageId}`);
    const channelId = input.channelId ?? this.channel.id;
    const guildId = this.state.channels.get(original.channel_id)?.guild_id;
    return this.state.createMessage(
      channelId,
      input.author ?? this.alice,
      { content: '' },
      {
        message_reference: { type: 1, message_id: original.id, channel_id: original.channel_id, ...(guildId ? { guild_id: guildId } : {}) },
        message_snapshots: [
          {
            message: {
              type: original.type,
              content: original.content,
              embeds: original.embeds,
              attachments: original.attachments,
              timestamp: original.timestamp,
              edited_timestamp: original.edited_timestamp,
              flags: original.flags,
              mentions: original.mentions,
              mention_roles: original.mention_roles,
            },
          },
        ],
      },
    );
  }

  /** Another bot posts. */
  botSays(input: Omit<UserMessageInput, 'author'>): WireMessage {
    return this.userSays({ ...input, author: this.otherBot });
  }

  /** A direct message to the bot. */
  dm(input: Omit<UserMessageInput, 'channelId' | 'mentionBot' | 'mentionBotRole'>): WireMessage {
    const author = input.author ?? this.alice;
    const channel = this.state.dmChannelWith(author);
    return this.userSays({ ...input, author, channelId: channel.id });
  }

  /** Sends the same MESSAGE_CREATE again, as Discord may after a reconnect. */
  redeliver(messageId: string): void {
    const message = this.state.messages.get(messageId);
    if (!message) throw new Error(`unknown message ${messageId}`);
    this.state.dispatchMessage('MESSAGE_CREATE', message);
  }

  /**
   * A person adds (or removes) a unicode emoji reaction on a message: MESSAGE_REACTION_ADD /
   * MESSAGE_REACTION_REMOVE, sent only to sessions with the (guild or direct) message reactions intent.
   */
  react(input: { messageId: string; emoji: string; user?: WireUser; remove?: boolean }): void {
    const message = this.state.messages.get(input.messageId);
    if (!message) throw new Error(`unknown message ${input.messageId}`);
    const user = input.user ?? this.alice;
    const guildId = this.state.channels.get(message.channel_id)?.guild_id;
    const payload = {
      user_id: user.id,
      channel_id: message.channel_id,
      message_id: message.id,
      emoji: { id: null, name: input.emoji },
      burst: false,
      type: 0,
      ...(guildId ? { guild_id: guildId, member: this.state.interactionMember(guildId, user, undefined, undefined), message_author_id: message.author.id } : { message_author_id: message.author.id }),
    };
    this.state.dispatch(input.remove ? 'MESSAGE_REACTION_REMOVE' : 'MESSAGE_REACTION_ADD', payload, { intent: guildId ? Intent.GuildMessageReactions : Intent.DirectMessageReactions });
  }

  /** A slash command; INTERACTION_CREATE is dispatched. */
  slashCommand(input: SlashCommandInput): FakeInteraction {
    const options = Object.entries(input.options ?? {}).map(([name, value]) => ({
      name,
      type: typeof value === 'boolean' ? 5 : typeof value === 'number' ? 10 : 3,
      value,
    }));
    const command = [...this.state.commands.values()].flat().find((candidate) => (candidate as { name?: string }).name === input.name) as { id?: string } | undefined;
    return this.#interaction(2, input, { id: command?.id ?? nextSnowflake(), name: input.name, type: 1, options });
  }

  /** A button press on a message; INTERACTION_CREATE is dispatched. */
  clickButton(input: ButtonClickInput): FakeInteraction {
    const message = this.state.messages.get(input.messageId);
    if (!message) throw new Error(`unknown message ${input.messageId}`);
    return this.#interaction(3, { ...input, channelId: message.channel_id }, { custom_id: input.customId, component_type: 2 }, message);
  }

  #interaction(type: number, input: InteractionInput, data: Record<string, unknown>, message?: WireMessage): FakeInteraction {
    const user = input.user ?? this.alice;
    const channelId = input.channelId ?? this.channel.id;
    const channel = this.state.channels.get(channelId);
    if (!channel) throw new Error(`unknown channel ${channelId}`);
    const guildId = channel.guild_id;
    const createdAt = input.createdAt ?? Date.now();
    const id = nextSnowflake(createdAt);
    const token = `aW50ZXJhY3Rpb246${Buffer.from(id).toString('base64url')}${randomBytes(36).toString('base64url')}`;
    const payload: Record<string, unknown> = {
      id,
      application_id: this.applicationId,
      type,
      data,
      channel_id: channelId,
      channel,
      token,
      version: 1,
      locale: 'en-US',
      app_permissions: DEFAULT_MEMBER_PERMISSIONS,
      entitlements: [],
      authorizing_integration_owners: { '0': guildId ?? this.applicationId },
      context: guildId ? 0 : 1,
      attachment_size_limit: 10_485_760,
      ...(guildId
        ? { guild_id: guildId, guild_locale: 'en-US', guild: { id: guildId, locale: 'en-US', features: [] }, member: this.state.interactionMember(guildId, user, input.permissions, input.roles) }
        : { user }),
      ...(message ? { message } : {}),
    };
    const interaction: FakeInteraction = {
      id,
      token,
      type,
      channelId,
      ...(guildId ? { guildId } : {}),
      user,
      createdAt,
      expiresAt: createdAt + (this.#options.interactionTokenTtlMs ?? 15 * 60_000),
      ephemeral: false,
      followupIds: [],
      ...(message ? { messageId: message.id } : {}),
      payload,
    };
    this.state.interactions.set(id, interaction);
    this.state.interactionsByToken.set(token, interaction);
    this.gateway.dispatch('INTERACTION_CREATE', payload);
    return interaction;
  }

  /** Makes an interaction's token invalid now, as if 15 minutes had passed. */
  expireInteractionToken(interactionId: string): void {
    const interaction = this.state.interactions.get(interactionId);
    if (interaction) interaction.expiresAt = Date.now() - 1;
  }

  // ---- reading the world back -----------------------------------------------------------------

  /** Every message in a channel (or thread), oldest first, ephemeral ones included. */
  messagesIn(channelId: string): WireMessage[] {
    return [...(this.state.channelMessages.get(channelId) ?? [])];
  }

  /** Messages the bot posted in a channel, oldest first. */
  botMessagesIn(channelId: string): WireMessage[] {
    return this.messagesIn(channelId).filter((message) => message.author.id === this.bot.id);
  }

  /** Current content of each message in a channel, oldest first. */
  contentsIn(channelId: string): string[] {
    return this.messagesIn(channelId).map((message) => message.content);
  }

  message(messageId: string): WireMessage | undefined {
    return this.state.messages.get(messageId);
  }

  interaction(interactionId: string): FakeInteraction | undefined {
    return this.state.interactions.get(interactionId);
  }

  /** Who a message would have pinged, by Discord's allowed_mentions rules. */
  pingsOf(messageId: string): Pings | undefined {
    return this.state.pings.get(messageId);
  }

  editCount(messageId: string): number {
    return this.state.editCounts.get(messageId) ?? 0;
  }

  /** Custom ids of every button on a message. */
  buttonsOf(messageId: string): string[] {
    const rows = (this.message(messageId)?.components ?? []) as { components?: { custom_id?: string }[] }[];
    return rows.flatMap((row) => (row.components ?? []).map((component) => component.custom_id ?? '')).filter((id) => id !== '');
  }

  get rateLimitedCount(): number {
    return this.requests.filter((request) => request.status === 429).length;
  }

  /** 4xx answers other than 429. */
  get clientErrorCount(): number {
    return this.requests.filter((request) => request.status >= 400 && request.status < 500 && request.status !== 429).length;
  }

  requestsTo(method: string, pathPattern: RegExp): RecordedRequest[] {
    return this.requests.filter((request) => request.method === method && pathPattern.test(request.path));
  }

  /** Message writes (creates and edits, channel and webhook) the bot made. */
  messageWrites(): RecordedRequest[] {
    return this.requests.filter(
      (request) =>
        (request.method === 'POST' && /^\/channels\/\d+\/messages$/.test(request.path)) ||
        (request.method === 'PATCH' && /^\/channels\/\d+\/messages\/\d+$/.test(request.path)) ||
        (request.method === 'POST' && /^\/webhooks\/\d+\/[^/]+$/.test(request.path)) ||
        (request.method === 'PATCH' && /^\/webhooks\/\d+\/[^/]+\/messages\//.test(request.path)),
    );
  }

  clearRequests(): void {
    this.requests.length = 0;
  }

  /** Polls until `predicate` holds, or fails with `description` after `timeoutMs`. */
  async waitFor<T>(predicate: () => T | undefined | false | null, description = 'condition', timeoutMs = 10_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate();
      if (value !== undefined && value !== false && value !== null) return value;
      if (Date.now() > deadline) throw new Error(`FakeDiscord: timed out after ${timeoutMs} ms waiting for ${description}`);
      await sleep(10);
    }
  }

  // ---- HTTP -----------------------------------------------------------------------------------

  async #onRequest(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const raw = await readBody(request);
    if (request.method === 'GET' && url.pathname.startsWith('/attachments/')) {
      const id = url.pathname.split('/')[3] ?? '';
      const file = this.state.attachments.get(id);
      if (!file) {
        response.writeHead(404).end();
        return;
      }
      response.writeHead(200, { 'content-type': file.contentType, 'content-length': String(file.body.length) }).end(file.body);
      return;
    }
    if (this.#options.latencyMs) await sleep(this.#options.latencyMs);
    const prefix = '/api/v10';
    const path = url.pathname.startsWith(prefix) ? url.pathname.slice(prefix.length) : undefined;
    let body: unknown;
    try {
      body = raw.length === 0 ? undefined : parseBody(raw, request.headers['content-type'] ?? '');
    } catch {
      return send(response, 400, { message: '400: Bad Request', code: 50109 }, {});
    }
    const result =
      path === undefined
        ? { status: 404, body: { message: '404: Not Found', code: 0 } }
        : routeRest(this.#context, {
            method: request.method ?? 'GET',
            path,
            query: url.searchParams,
            body,
            authorization: request.headers.authorization,
          });
    const mentionsSource = (body as { allowed_mentions?: unknown; data?: { allowed_mentions?: unknown } } | undefined) ?? {};
    this.requests.push({
      method: request.method ?? 'GET',
      path: path ?? url.pathname,
      query: url.search,
      body,
      allowedMentions: mentionsSource.allowed_mentions ?? mentionsSource.data?.allowed_mentions,
      status: result.status,
      ...(result.status === 429 ? { rateLimitScope: result.headers?.['x-ratelimit-scope'] ?? 'user' } : {}),
      at: Date.now(),
    });
    if (path !== undefined && this.#slowAnswers.remaining > 0) {
      this.#slowAnswers.remaining -= 1;
      await sleep(this.#slowAnswers.delayMs);
      // The client gave up and closed the connection meanwhile.
      if (response.destroyed) return;
    }
    send(response, result.status, result.body, result.headers ?? {});
  }
}

function send(response: ServerResponse, status: number, body: unknown, headers: Record<string, string>): void {
  if (status === 204 || body === undefined) {
    response.writeHead(status, headers).end();
    return;
  }
  const text = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(text)), ...headers }).end(text);
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * JSON bodies, and the `payload_json` part of multipart bodies (what discord.js sends with files);
 * the file parts ride along as `uploaded_files` (filename, content type, bytes).
 */
function parseBody(raw: Buffer, contentType: string): unknown {
  if (contentType.startsWith('multipart/form-data')) {
    const text = raw.toString('utf8');
    const match = /name="payload_json"\r\n(?:[^\r\n]*\r\n)*\r\n([\s\S]*?)\r\n--/.exec(text);
    const payload = (match?.[1] ? JSON.parse(match[1]) : {}) as Record<string, unknown>;
    const files = multipartFiles(raw, contentType);
    return files.length > 0 ? { ...payload, uploaded_files: files } : payload;
  }
  return JSON.parse(raw.toString('utf8'));
}


export interface UploadedPart {
  filename: string;
  contentType: string;
  body: Buffer;
}

/** The parts of a multipart body that carry a filename (latin1 keeps bytes one to one). */
function multipartFiles(raw: Buffer, contentType: string): UploadedPart[] {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(contentType);
  const delimiter = boundary?.[1] ?? boundary?.[2];
  if (!delimiter) return [];
  const files: UploadedPart[] = [];
  for (const part of raw.toString('latin1').split(`--${delimiter}`)) {
    const headerEnd = part.indexOf('\r\n\r\n');
    if (headerEnd < 0) continue;
    const headers = part.slice(0, headerEnd);
    const filename = /filename="([^"]*)"/.exec(headers)?.[1];
    if (filename === undefined) continue;
    const type = /content-type:\s*([^\r\n]+)/i.exec(headers)?.[1] ?? 'application/octet-stream';
    const body = part.slice(headerEnd + 4).replace(/\r\n$/, '');
    files.push({ filename, contentType: type.trim(), body: Buffer.from(body, 'latin1') });
  }
  return files;
}
