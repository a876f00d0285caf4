import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MANIFEST_BOT_SCOPES } from '../../../adapters/slack/doctor.ts';
import { FakeWorkspace, type FakeFile, type FakeMessage } from './state.ts';

/**
 * A loopback Slack Web API: enough of chat.*, conversations.*, users.info, assistant.threads.* and
 * files for the adapter, speaking Slack's wire format (form-encoded or JSON bodies, `Authorization:
 * Bearer`, HTTP 200 with `{ ok: false, error }`, 429 with `Retry-After` in seconds).
 */

/**
 * A token bucket, as Slack's published limits read: `limit` calls per `windowMs`, with a burst of
 * `limit` (a full bucket), refilled continuously.
 */
export interface RateLimitRule {
  /** Calls per window, and the burst. */
  limit: number;
  windowMs: number;
  /** Sent as `Retry-After` (whole seconds, as Slack does). @defaultValue the seconds until a call is allowed, at least 1 */
  retryAfterSec?: number;
  /** Count per channel (chat.postMessage's ~1/s per channel) instead of per workspace. */
  perChannel?: boolean;
}

/**
 * Slack's published limits per app per workspace (docs: rate limits, chat.postMessage, chat
 * streaming): Tier 3 chat.update 50 a minute; Tier 4 chat.appendStream 100 a minute; posting
 * and starting or stopping a stream about 1 a second per channel with a burst of 3, and together
 * 100 a minute per workspace with a burst of 100.
 */
export const SLACK_PUBLISHED_LIMITS: ReadonlyArray<{ method: string; rule: RateLimitRule }> = [
  { method: 'chat.update', rule: { limit: 50, windowMs: 60_000 } },
  { method: 'chat.appendStream', rule: { limit: 100, windowMs: 60_000 } },
  { method: 'chat.postMessage', rule: { limit: 3, windowMs: 3_000, perChannel: true } },
  { method: 'chat.startStream', rule: { limit: 3, windowMs: 3_000, perChannel: true } },
  { method: 'chat.stopStream', rule: { limit: 3, windowMs: 3_000, perChannel: true } },
  { method: 'conversations.replies', rule: { limit: 50, windowMs: 60_000 } },
  // files.uploadV2's two metered steps: Tier 4 each.
  { method: 'files.getUploadURLExternal', rule: { limit: 100, windowMs: 60_000 } },
  { method: 'files.completeUploadExternal', rule: { limit: 100, windowMs: 60_000 } },
];
/** Posts and stream starts and stops also draw from one workspace-wide bucket. */
export const SLACK_POST_POOL: { methods: ReadonlySet<string>; rule: RateLimitRule } = {
  methods: new Set(['chat.postMessage', 'chat.startStream', 'chat.stopStream']),
  rule: { limit: 100, windowMs: 60_000 },
};

export interface FakeSlackOptions {
  /** @defaultValue 'xoxb-fake-token' */
  botToken?: string;
  /** @defaultValue 'T0FAKE' */
  teamId?: string;
  /** @defaultValue 'U0BOT' */
  botUserId?: string;
  /** @defaultValue 'B0BOT' */
  botId?: string;
  /** Apply Slack's published limits ({@link SLACK_PUBLISHED_LIMITS}, {@link SLACK_POST_POOL}). @defaultValue true */
  defaultRateLimits?: boolean;
  /** A stream stops accepting appends this long after it started. @defaultValue 300_000 */
  streamLifetimeMs?: number;
  /** Every Web API answer is sent this much later; the call takes effect at once. @defaultValue 0 */
  latencyMs?: number;
}

const WRITE_METHODS = new Set(['chat.postMessage', 'chat.update', 'chat.startStream', 'chat.appendStream', 'chat.stopStream']);

export interface RecordedCall {
  method: string;
  args: Record<string, unknown>;
  at: number;
  /** What the fake answered: `ok`, an error code, or `ratelimited` for a 429. */
  outcome: string;
  contentType: string;
}

interface ScriptedFailure {
  error: string;
  times: number;
  status?: number;
  retryAfterSec?: number;
}

const JSON_FIELDS = new Set(['blocks', 'chunks', 'attachments', 'metadata', 'prompts', 'files']);
const STREAM_METHODS = new Set(['chat.startStream', 'chat.appendStream', 'chat.stopStream']);

class SlackError extends Error {
  readonly code: string;
  constructor(code: string) {
    super(code);
    this.code = code;
  }
}

export class FakeSlack {
  readonly workspace = new FakeWorkspace();
  readonly calls: RecordedCall[] = [];
  /**
   * files.uploadV2's three steps: files.getUploadURLExternal reserves an id and a URL, the bytes
   * are POSTed there (recorded here, in order), files.completeUploadExternal shares the file.
   */
  readonly externalUploads: Array<{ fileId: string; bytes: number }> = [];
  private readonly pendingUploads = new Map<string, { filename: string; length: number; content?: Buffer }>();
  /** Bodies POSTed to response_url endpoints, by the id in the URL. */
  readonly responses: Array<{ id: string; body: Record<string, unknown> }> = [];
  readonly botToken: string;
  readonly teamId: string;
  readonly botUserId: string;
  readonly botId: string;
  /** When false, a `blocks` chunk in a stream answers `invalid_chunks` (in case Slack keeps buttons out of streams). */
  streamBlocksAllowed = true;
  /** Channels the bot is not a member of: posting there answers `not_in_channel`. */
  readonly notInChannel = new Set<string>();
  /** Granted bot scopes, listed in `x-oauth-scopes` on authenticated answers as Slack does (doctor reads them). */
  oauthScopes: string[] = [...MANIFEST_BOT_SCOPES];
  /**
   * Methods called with an app-level token (`xapp-`) instead of the bot token, answered by an add-on
   * such as the Socket Mode fake (`apps.connections.open`).
   */
  readonly appTokenMethods = new Map<string, (token: string | undefined) => Record<string, unknown>>();
  private readonly rules = new Map<string, RateLimitRule>();
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  private postPool = false;
  /** 429s answered because of a rate limit (not scripted ones). */
  rateLimitedCount = 0;
  private readonly failures = new Map<string, ScriptedFailure[]>();
  private streamingRefusal: string | undefined;
  private readonly streamLifetimeMs: number;
  private readonly latencyMs: number;
  /** Told of every message write the fake accepted, as it takes effect (the bench times writes with it). */
  writeObserver: ((method: string, message: FakeMessage) => void) | undefined;
  private server: Server | undefined;
  private baseUrl = '';

  constructor(options: FakeSlackOptions = {}) {
    this.botToken = options.botToken ?? 'xoxb-fake-token';
    this.teamId = options.teamId ?? 'T0FAKE';
    this.botUserId = options.botUserId ?? 'U0BOT';
    this.botId = options.botId ?? 'B0BOT';
    this.streamLifetimeMs = options.streamLifetimeMs ?? 300_000;
    this.latencyMs = options.latencyMs ?? 0;
    if (options.defaultRateLimits ?? true) {
      for (const { method, rule } of SLACK_PUBLISHED_LIMITS) this.rules.set(method, rule);
      this.postPool = true;
    }
    this.workspace.users.set(this.botUserId, { id: this.botUserId, name: 'ofox', real_name: 'OfoxAI', display_name: 'ofox', is_bot: true });
  }

  /** Base URL for `slackApiUrl` / SLACK_API_URL, ending in `/api/`. */
  get apiUrl(): string {
    return `${this.baseUrl}/api/`;
  }

  get origin(): string {
    return this.baseUrl;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        response.writeHead(500, { 'content-type': 'text/plain' });
        response.end(String(error));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    const address = this.server.address() as AddressInfo;
    this.baseUrl = `http://127.0.0.1:${address.port}`;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    this.server = undefined;
  }

  // ---- knobs -------------------------------------------------------------------------------

  /** Sets (or with `undefined` removes) a method's rate limit. */
  setRateLimit(method: string, rule: RateLimitRule | undefined): void {
    if (rule) this.rules.set(method, rule);
    else this.rules.delete(method);
    this.buckets.clear();
  }

  /** The next `times` calls of `method` fail with `error`; `ratelimited` answers HTTP 429 + Retry-After. */
  failNext(method: string, error: string, options: { times?: number; retryAfterSec?: number; status?: number } = {}): void {
    const list = this.failures.get(method) ?? [];
    list.push({ error, times: options.times ?? 1, retryAfterSec: options.retryAfterSec, status: options.status });
    this.failures.set(method, list);
  }

  /** Every streaming method answers this error (`feature_not_enabled`, `not_allowed`, ...) until cleared. */
  refuseStreaming(error: string | undefined = 'feature_not_enabled'): void {
    this.streamingRefusal = error;
    // Streams already open end with it, showing what they had received.
    if (error) this.expireStreams();
  }

  /** Ends every open stream, as Slack does after a stream's lifetime: later appends get `message_not_in_streaming_state`. */
  expireStreams(): void {
    for (const list of this.workspace.messages.values()) {
      for (const message of list) if (message.streaming_state === 'in_progress') message.streaming_state = 'completed';
    }
  }

  addUser(id: string, name: string, options: { realName?: string; isBot?: boolean } = {}): void {
    this.workspace.users.set(id, { id, name, real_name: options.realName ?? name, display_name: name, is_bot: options.isBot ?? false });
  }

  /** A file a person uploaded; its `url_private` needs the bot token to download. */
  addFile(name: string, mimetype: string, content: string | Buffer): FakeFile {
    const id = `F${String(this.workspace.files.size + 1).padStart(6, '0')}`;
    const data = typeof content === 'string' ? Buffer.from(content) : content;
    const url = `${this.baseUrl}/files-pri/${this.teamId}-${id}/${encodeURIComponent(name)}`;
    const file: FakeFile = { id, name, mimetype, content: data, url_private: url, url_private_download: `${url}?download=1`, size: data.length };
    this.workspace.files.set(id, file);
    return file;
  }

  /** A message a person wrote (so conversations.replies sees it); returns it with its ts. */
  addUserMessage(channel: string, user: string, text: string, options: { thread_ts?: string; ts?: string; files?: FakeFile[] } = {}): FakeMessage {
    return this.workspace.add({ channel, user, text, ...options });
  }

  // ---- reading -----------------------------------------------------------------------------

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((call) => call.method === method);
  }

  /** Messages the bot has in a thread (replies to `threadTs`), oldest first. */
  botReplies(channel: string, threadTs: string): FakeMessage[] {
    return this.workspace.replies(channel, threadTs).filter((message) => message.bot_id === this.botId);
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.workspace.find(channel, ts);
  }

  // ---- HTTP --------------------------------------------------------------------------------

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', this.baseUrl);
    const raw = await readBody(request);
    if (url.pathname.startsWith('/files-pri/')) return this.serveFile(url, request, response);
    if (url.pathname.startsWith('/upload/')) return this.receiveUpload(url, await uploadedBytes(raw, request.headers['content-type'] ?? ''), response);
    if (url.pathname.startsWith('/respond/')) {
      const body = raw.length > 0 ? (JSON.parse(raw.toString('utf8')) as Record<string, unknown>) : {};
      this.responses.push({ id: url.pathname.slice('/respond/'.length), body });
      return send(response, 200, { ok: true });
    }
    if (!url.pathname.startsWith('/api/')) return send(response, 404, { ok: false, error: 'unknown_method' });
    const method = url.pathname.slice('/api/'.length);
    const contentType = request.headers['content-type'] ?? '';
    let args: Record<string, unknown>;
    try {
      args = parseArgs(raw.toString('utf8'), contentType, url.searchParams);
    } catch {
      return send(response, 200, { ok: false, error: 'invalid_json' });
    }
    const token = bearer(request.headers.authorization) ?? (typeof args.token === 'string' ? args.token : undefined);
    delete args.token;
    const call: RecordedCall = { method, args, at: Date.now(), outcome: 'ok', contentType };
    this.calls.push(call);
    const appTokenMethod = this.appTokenMethods.get(method);
    if (appTokenMethod) {
      const answer = appTokenMethod(token);
      call.outcome = answer.ok === true ? 'ok' : String(answer.error);
      return send(response, 200, answer);
    }
    if (!token) return this.answerError(call, response, 'not_authed');
    if (token !== this.botToken) return this.answerError(call, response, 'invalid_auth');
    response.setHeader('x-oauth-scopes', this.oauthScopes.join(','));

    const scripted = this.takeFailure(method);
    if (scripted) {
      if (scripted.error === 'ratelimited' || scripted.status === 429) return this.answerRateLimited(call, response, scripted.retryAfterSec ?? 1);
      return this.answerError(call, response, scripted.error, scripted.status);
    }
    const limited = this.checkRateLimit(method, args);
    if (limited !== undefined) return this.answerRateLimited(call, response, limited);
    if (this.streamingRefusal && STREAM_METHODS.has(method)) return this.answerError(call, response, this.streamingRefusal);

    try {
      const result = this.dispatch(method, args);
      if (this.writeObserver && WRITE_METHODS.has(method)) {
        const written = this.message(String(args.channel ?? ''), String(result.ts ?? args.ts ?? ''));
        if (written) this.writeObserver(method, written);
      }
      if (this.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
      return send(response, 200, { ok: true, ...result });
    } catch (error) {
      if (error instanceof SlackError) return this.answerError(call, response, error.code);
      throw error;
    }
  }

  private answerError(call: RecordedCall, response: ServerResponse, error: string, status = 200): void {
    call.outcome = error;
    send(response, status, { ok: false, error });
  }

  private answerRateLimited(call: RecordedCall, response: ServerResponse, retryAfterSec: number): void {
    call.outcome = 'ratelimited';
    response.writeHead(429, { 'content-type': 'application/json', 'retry-after': String(retryAfterSec) });
    response.end(JSON.stringify({ ok: false, error: 'ratelimited' }));
  }

  private takeFailure(method: string): ScriptedFailure | undefined {
    const list = this.failures.get(method);
    const next = list?.[0];
    if (!list || !next) return undefined;
    next.times -= 1;
    if (next.times <= 0) list.shift();
    return next;
  }

  private checkRateLimit(method: string, args: Record<string, unknown>): number | undefined {
    const checks: Array<{ key: string; rule: RateLimitRule }> = [];
    const rule = this.rules.get(method);
    if (rule) checks.push({ key: rule.perChannel ? `${method}:${String(args.channel ?? args.channel_id ?? '')}` : method, rule });
    if (this.postPool && SLACK_POST_POOL.methods.has(method)) checks.push({ key: 'post-pool', rule: SLACK_POST_POOL.rule });
    if (checks.length === 0) return undefined;
    const now = Date.now();
    const states = checks.map(({ key, rule: check }) => {
      const state = this.buckets.get(key) ?? { tokens: check.limit, at: now };
      state.tokens = Math.min(check.limit, state.tokens + ((now - state.at) * check.limit) / check.windowMs);
      state.at = now;
      this.buckets.set(key, state);
      return state;
    });
    const short = checks.findIndex((_, index) => (states[index]?.tokens ?? 0) < 1);
    if (short >= 0) {
      const check = checks[short]!.rule;
      this.rateLimitedCount += 1;
      const waitMs = ((1 - (states[short]?.tokens ?? 0)) * check.windowMs) / check.limit;
      return check.retryAfterSec ?? Math.max(1, Math.ceil(waitMs / 1000));
    }
    for (const state of states) state.tokens -= 1;
    return undefined;
  }

  /** Step two of files.uploadV2: the bytes, to the URL step one handed out (no token needed, as on Slack). */
  private receiveUpload(url: URL, raw: Buffer, response: ServerResponse): void {
    const fileId = url.pathname.slice('/upload/'.length);
    const pending = this.pendingUploads.get(fileId);
    if (!pending) {
      response.writeHead(404, { 'content-type': 'text/plain' });
      response.end('unknown upload');
      return;
    }
    pending.content = raw;
    this.externalUploads.push({ fileId, bytes: raw.length });
    response.writeHead(200, { 'content-type': 'text/plain' });
    response.end(`OK - ${raw.length}`);
  }

  private getUploadUrl(args: Record<string, unknown>): Record<string, unknown> {
    const filename = requireString(args, 'filename');
    const length = Number(args.length);
    if (!Number.isInteger(length) || length <= 0) throw new SlackError('invalid_arguments');
    const fileId = `F${String(this.workspace.files.size + this.pendingUploads.size + 1).padStart(6, '0')}U`;
    this.pendingUploads.set(fileId, { filename, length });
    return { upload_url: `${this.baseUrl}/upload/${fileId}`, file_id: fileId };
  }

  private completeUpload(args: Record<string, unknown>): Record<string, unknown> {
    if (!Array.isArray(args.files) || args.files.length === 0) throw new SlackError('invalid_arguments');
    const channel = optionalString(args.channel_id);
    const threadTs = optionalString(args.thread_ts);
    if (channel) this.assertCanPost(channel);
    const shared: FakeFile[] = [];
    for (const entry of args.files as Array<{ id?: unknown; title?: unknown }>) {
      const id = typeof entry.id === 'string' ? entry.id : '';
      const pending = this.pendingUploads.get(id);
      if (!pending?.content) throw new SlackError('file_not_found');
      if (pending.content.length !== pending.length) throw new SlackError('file_upload_size_mismatch');
      this.pendingUploads.delete(id);
      const url = `${this.baseUrl}/files-pri/${this.teamId}-${id}/${encodeURIComponent(pending.filename)}`;
      const file: FakeFile = { id, name: pending.filename, mimetype: mimeOf(pending.filename), content: pending.content, url_private: url, url_private_download: `${url}?download=1`, size: pending.content.length };
      this.workspace.files.set(id, file);
      shared.push(file);
    }
    // Shared in a channel: Slack posts a message from the bot carrying the files.
    if (channel) this.workspace.add({ channel, user: this.botUserId, bot_id: this.botId, text: '', thread_ts: threadTs, files: shared });
    return { files: shared.map((file) => ({ id: file.id, name: file.name, title: file.name, mimetype: file.mimetype, size: file.size, permalink: `https://fake.slack.test/files/${file.id}` })) };
  }

  private serveFile(url: URL, request: IncomingMessage, response: ServerResponse): void {
    const token = bearer(request.headers.authorization);
    const id = url.pathname.split('/')[2]?.split('-')[1] ?? '';
    const file = this.workspace.files.get(id);
    if (token !== this.botToken) {
      // Slack answers an HTML login page rather than the file.
      response.writeHead(200, { 'content-type': 'text/html' });
      response.end('<html><body>Sign in to Slack</body></html>');
      return;
    }
    if (!file) return send(response, 404, { ok: false, error: 'file_not_found' });
    response.writeHead(200, { 'content-type': file.mimetype, 'content-length': String(file.content.length) });
    response.end(file.content);
  }

  // ---- methods -----------------------------------------------------------------------------

  private dispatch(method: string, args: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return { url: 'https://fake.slack.test/', team: 'Fake', user: 'ofox', team_id: this.teamId, user_id: this.botUserId, bot_id: this.botId, is_enterprise_install: false };
      case 'chat.postMessage':
        return this.postMessage(args);
      case 'chat.update':
        return this.update(args);
      case 'chat.delete': {
        const message = this.requireMessage(args);
        message.deleted = true;
        return { channel: message.channel, ts: message.ts };
      }
      case 'chat.postEphemeral': {
        const channel = requireString(args, 'channel');
        const user = requireString(args, 'user');
        const text = typeof args.text === 'string' ? args.text : '';
        if (!text && !args.blocks) throw new SlackError('no_text');
        this.workspace.ephemerals.push({ channel, user, text, thread_ts: optionalString(args.thread_ts), blocks: args.blocks });
        return { message_ts: this.workspace.nextTs() };
      }
      case 'chat.startStream':
        return this.startStream(args);
      case 'chat.appendStream':
        return this.appendStream(args);
      case 'chat.stopStream':
        return this.stopStream(args);
      case 'conversations.replies':
        return this.conversationsReplies(args);
      case 'conversations.history':
        return this.conversationsHistory(args);
      case 'conversations.info': {
        const channel = requireString(args, 'channel');
        const isIm = channel.startsWith('D');
        return { channel: { id: channel, name: isIm ? undefined : channel.toLowerCase(), is_im: isIm, is_channel: !isIm, is_member: !this.notInChannel.has(channel) } };
      }
      case 'users.info': {
        const user = this.workspace.users.get(requireString(args, 'user'));
        if (!user) throw new SlackError('user_not_found');
        return { user: { id: user.id, name: user.name, real_name: user.real_name, is_bot: user.is_bot, profile: { display_name: user.display_name, real_name: user.real_name } } };
      }
      case 'assistant.threads.setStatus': {
        const key = `${requireString(args, 'channel_id')}:${requireString(args, 'thread_ts')}`;
        const list = this.workspace.assistantStatus.get(key) ?? [];
        list.push(typeof args.status === 'string' ? args.status : '');
        this.workspace.assistantStatus.set(key, list);
        return {};
      }
      case 'assistant.threads.setSuggestedPrompts': {
        const key = `${requireString(args, 'channel_id')}:${optionalString(args.thread_ts) ?? ''}`;
        if (!Array.isArray(args.prompts)) throw new SlackError('invalid_arguments');
        this.workspace.suggestedPrompts.set(key, args.prompts);
        return {};
      }
      case 'files.getUploadURLExternal':
        return this.getUploadUrl(args);
      case 'files.completeUploadExternal':
        return this.completeUpload(args);
      case 'assistant.threads.setTitle': {
        const key = `${requireString(args, 'channel_id')}:${requireString(args, 'thread_ts')}`;
        this.workspace.titles.set(key, requireString(args, 'title'));
        return {};
      }
      default:
        throw new SlackError('unknown_method');
    }
  }

  private assertCanPost(channel: string): void {
    if (this.notInChannel.has(channel)) throw new SlackError('not_in_channel');
  }

  private postMessage(args: Record<string, unknown>): Record<string, unknown> {
    const channel = requireString(args, 'channel');
    this.assertCanPost(channel);
    const text = typeof args.text === 'string' ? args.text : undefined;
    const markdown = typeof args.markdown_text === 'string' ? args.markdown_text : undefined;
    if (!text && !markdown && !args.blocks) throw new SlackError('no_text');
    if ((text?.length ?? 0) > 40_000 || (markdown?.length ?? 0) > 12_000) throw new SlackError('msg_too_long');
    const blocks = validateBlocks(args.blocks);
    const threadTs = optionalString(args.thread_ts);
    if (threadTs && !this.workspace.find(channel, threadTs)) throw new SlackError('thread_not_found');
    const message = this.workspace.add({ channel, text: text ?? markdown ?? '', blocks, thread_ts: threadTs, user: this.botUserId, bot_id: this.botId });
    return { channel, ts: message.ts, message: wire(message) };
  }

  private update(args: Record<string, unknown>): Record<string, unknown> {
    const message = this.requireMessage(args);
    if (message.bot_id !== this.botId) throw new SlackError('cant_update_message');
    if (message.streaming_state === 'in_progress') throw new SlackError('streaming_state_conflict');
    const text = typeof args.text === 'string' ? args.text : undefined;
    const markdown = typeof args.markdown_text === 'string' ? args.markdown_text : undefined;
    if (text === undefined && markdown === undefined && args.blocks === undefined) throw new SlackError('no_text');
    // chat.update is stricter than chat.postMessage about long text.
    if ((text?.length ?? 0) > 4_000 || (markdown?.length ?? 0) > 12_000) throw new SlackError('msg_too_long');
    if (args.blocks !== undefined) message.blocks = validateBlocks(args.blocks);
    if (text !== undefined || markdown !== undefined) message.text = text ?? markdown ?? '';
    message.edits += 1;
    return { channel: message.channel, ts: message.ts, text: message.text };
  }

  private startStream(args: Record<string, unknown>): Record<string, unknown> {
    const channel = requireString(args, 'channel');
    this.assertCanPost(channel);
    const threadTs = optionalString(args.thread_ts);
    if (!threadTs) throw new SlackError('invalid_arguments');
    if (!this.workspace.find(channel, threadTs)) throw new SlackError('thread_not_found');
    if (!channel.startsWith('D')) {
      if (!optionalString(args.recipient_user_id)) throw new SlackError('missing_recipient_user_id');
      if (!optionalString(args.recipient_team_id)) throw new SlackError('missing_recipient_team_id');
    }
    if (args.markdown_text === undefined && args.chunks === undefined) throw new SlackError('no_text');
    const message = this.workspace.add({ channel, thread_ts: threadTs, user: this.botUserId, bot_id: this.botId, text: '', streaming_state: 'in_progress', streamStartedAt: Date.now() });
    try {
      this.applyStreamContent(message, args);
    } catch (error) {
      message.deleted = true;
      throw error;
    }
    return { channel, ts: message.ts };
  }

  private openStream(args: Record<string, unknown>): FakeMessage {
    const message = this.requireMessage(args);
    if (message.streaming_state === 'in_progress' && message.streamStartedAt !== undefined && Date.now() - message.streamStartedAt > this.streamLifetimeMs) {
      message.streaming_state = 'completed';
    }
    if (message.streaming_state !== 'in_progress') throw new SlackError('message_not_in_streaming_state');
    return message;
  }

  private appendStream(args: Record<string, unknown>): Record<string, unknown> {
    const message = this.openStream(args);
    if (args.markdown_text === undefined && args.chunks === undefined) throw new SlackError('no_text');
    this.applyStreamContent(message, args);
    return { channel: message.channel, ts: message.ts };
  }

  private stopStream(args: Record<string, unknown>): Record<string, unknown> {
    const message = this.openStream(args);
    this.applyStreamContent(message, args);
    if (args.blocks !== undefined) message.blocks = [...(message.blocks ?? []), ...validateBlocks(args.blocks)!];
    message.streaming_state = 'completed';
    message.text = message.streamText;
    return { channel: message.channel, ts: message.ts, message: wire(message) };
  }

  private applyStreamContent(message: FakeMessage, args: Record<string, unknown>): void {
    // Slack's 12,000 characters of markdown_text hold for one call, however many chunks carry them.
    if (markdownTextIn(args) > 12_000) throw new SlackError('msg_too_long');
    if (typeof args.markdown_text === 'string') {
      if (args.markdown_text.length > 12_000) throw new SlackError('msg_too_long');
      message.streamText += args.markdown_text;
      message.chunks.push({ type: 'markdown_text', text: args.markdown_text });
    }
    if (args.chunks === undefined) return;
    if (!Array.isArray(args.chunks)) throw new SlackError('invalid_chunks');
    for (const chunk of args.chunks as Array<Record<string, unknown>>) {
      switch (chunk?.type) {
        case 'markdown_text':
          if (typeof chunk.text !== 'string') throw new SlackError('invalid_chunks');
          if (chunk.text.length > 12_000) throw new SlackError('msg_too_long');
          message.streamText += chunk.text;
          break;
        case 'task_update': {
          const status = chunk.status;
          if (typeof chunk.id !== 'string' || typeof chunk.title !== 'string' || !['pending', 'in_progress', 'complete', 'error'].includes(String(status))) {
            throw new SlackError('invalid_chunks');
          }
          const previous = message.tasks.get(chunk.id);
          message.tasks.set(chunk.id, {
            id: chunk.id,
            title: chunk.title,
            status: String(status),
            details: (previous?.details ?? '') + (typeof chunk.details === 'string' ? chunk.details : '') || undefined,
            output: typeof chunk.output === 'string' ? chunk.output : previous?.output,
          });
          break;
        }
        case 'plan_update':
          if (typeof chunk.title !== 'string') throw new SlackError('invalid_chunks');
          message.planTitle = chunk.title;
          break;
        case 'blocks':
          if (!this.streamBlocksAllowed) throw new SlackError('invalid_chunks');
          validateBlocks(chunk.blocks);
          break;
        default:
          throw new SlackError('invalid_chunks');
      }
      message.chunks.push(chunk);
    }
  }

  private conversationsReplies(args: Record<string, unknown>): Record<string, unknown> {
    const channel = requireString(args, 'channel');
    const ts = requireString(args, 'ts');
    const parent = this.workspace.find(channel, ts);
    if (!parent) throw new SlackError('thread_not_found');
    const root = parent.thread_ts && parent.thread_ts !== parent.ts ? parent.thread_ts : parent.ts;
    let thread = this.workspace.thread(channel, root);
    const oldest = optionalString(args.oldest);
    const latest = optionalString(args.latest);
    const inclusive = args.inclusive === true || args.inclusive === 'true' || args.inclusive === '1';
    if (oldest) thread = thread.filter((message) => message.ts === root || (inclusive ? Number(message.ts) >= Number(oldest) : Number(message.ts) > Number(oldest)));
    if (latest) thread = thread.filter((message) => (inclusive ? Number(message.ts) <= Number(latest) : Number(message.ts) < Number(latest)));
    return paginate(thread, args, 1000);
  }

  private conversationsHistory(args: Record<string, unknown>): Record<string, unknown> {
    const channel = requireString(args, 'channel');
    const top = (this.workspace.messages.get(channel) ?? [])
      .filter((message) => !message.deleted && (!message.thread_ts || message.thread_ts === message.ts))
      .sort((a, b) => Number(b.ts) - Number(a.ts));
    return paginate(top, args, 100);
  }

  private requireMessage(args: Record<string, unknown>): FakeMessage {
    const channel = requireString(args, 'channel');
    const ts = requireString(args, 'ts');
    const message = this.workspace.find(channel, ts);
    if (!message) throw new SlackError('message_not_found');
    return message;
  }
}

function markdownTextIn(args: Record<string, unknown>): number {
  const chunks = Array.isArray(args.chunks) ? (args.chunks as Array<Record<string, unknown>>) : [];
  const inChunks = chunks.reduce((sum, chunk) => sum + (chunk?.type === 'markdown_text' && typeof chunk.text === 'string' ? chunk.text.length : 0), 0);
  return (typeof args.markdown_text === 'string' ? args.markdown_text.length : 0) + inChunks;
}

function paginate(messages: FakeMessage[], args: Record<string, unknown>, defaultLimit: number): Record<string, unknown> {
  const limit = Math.max(1, Math.min(1000, Number(args.limit ?? defaultLimit) || defaultLimit));
  const start = Number(optionalString(args.cursor)?.replace(/^c/, '') ?? '0') || 0;
  const page = messages.slice(start, start + limit);
  const more = start + limit < messages.length;
  return { messages: page.map(wire), has_more: more, response_metadata: { next_cursor: more ? `c${start + limit}` : '' } };
}

function wire(message: FakeMessage): Record<string, unknown> {
  return {
    type: 'message',
    ts: message.ts,
    thread_ts: message.thread_ts,
    user: message.user,
    bot_id: message.bot_id,
    subtype: message.subtype,
    text: message.streaming_state === 'in_progress' ? message.streamText : message.text,
    blocks: message.blocks,
    files: message.files?.map((file) => ({ id: file.id, name: file.name, mimetype: file.mimetype, size: file.size, url_private: file.url_private, url_private_download: file.url_private_download })),
  };
}

function validateBlocks(value: unknown): Record<string, unknown>[] | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.length > 50) throw new SlackError('invalid_blocks');
  let markdownTotal = 0;
  for (const block of value as Array<Record<string, unknown>>) {
    if (typeof block !== 'object' || block === null || typeof block.type !== 'string') throw new SlackError('invalid_blocks');
    if (block.type === 'section') {
      const text = block.text as { type?: unknown; text?: unknown } | undefined;
      if (text !== undefined && (typeof text.text !== 'string' || text.text.length === 0 || text.text.length > 3000)) throw new SlackError('invalid_blocks');
    }
    if (block.type === 'markdown') {
      if (typeof block.text !== 'string') throw new SlackError('invalid_blocks');
      markdownTotal += block.text.length;
    }
    if (block.type === 'actions' && (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25)) throw new SlackError('invalid_blocks');
  }
  if (markdownTotal > 12_000) throw new SlackError('invalid_blocks');
  return value as Record<string, unknown>[];
}

function parseArgs(raw: string, contentType: string, query: URLSearchParams): Record<string, unknown> {
  const args: Record<string, unknown> = {};
  for (const [key, value] of query) args[key] = value;
  if (raw.length === 0) return args;
  if (contentType.includes('application/json')) return { ...args, ...(JSON.parse(raw) as Record<string, unknown>) };
  for (const [key, value] of new URLSearchParams(raw)) {
    args[key] = JSON_FIELDS.has(key) ? JSON.parse(value) : value;
  }
  return args;
}

function bearer(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? '');
  return match?.[1];
}

function requireString(args: Record<string, unknown>, key: string): string {
  const value = args[key];
  if (typeof value !== 'string' || value.length === 0) throw new SlackError(key === 'channel' || key === 'channel_id' ? 'channel_not_found' : 'invalid_arguments');
  return value;
}

function optionalString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

function send(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(JSON.stringify(body));
}

async function readBody(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

function mimeOf(filename: string): string {
  if (/\.png$/i.test(filename)) return 'image/png';
  if (/\.jpe?g$/i.test(filename)) return 'image/jpeg';
  if (/\.webp$/i.test(filename)) return 'image/webp';
  return 'application/octet-stream';
}

/** The upload URL takes the raw bytes or a multipart form with the file (what the web client sends). */
async function uploadedBytes(raw: Buffer, contentType: string): Promise<Buffer> {
  if (!contentType.startsWith('multipart/form-data')) return raw;
  const form = await new Request('http://fake.invalid/upload', { method: 'POST', headers: { 'content-type': contentType }, body: raw }).formData();
  for (const value of form.values()) {
    if (typeof value !== 'string') return Buffer.from(await value.arrayBuffer());
  }
  return Buffer.alloc(0);
}
