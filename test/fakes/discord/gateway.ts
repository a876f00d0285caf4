import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { randomBytes } from 'node:crypto';
import { WebSocketServer, type WebSocket } from 'ws';
import { Intent, type WireGuild, type WireUser } from './wire.ts';

/**
 * The gateway half of the fake: Hello → Identify → READY → GUILD_CREATE, heartbeats and ACKs,
 * RESUME with replay of what was missed, and dispatches with per-session sequence numbers.
 * Sharding as Discord does it: Identify's `shard: [id, count]` picks the session's guilds
 * (`(guild_id >> 22) % count`), a guild's events go only to its shard, direct messages to shard 0.
 * JSON encoding only: a client asking for zlib-stream compression is refused with close code 4000
 * so a misconfigured client fails loudly instead of hanging.
 */

export interface GatewayHost {
  token: string;
  applicationId: string;
  botUser(): WireUser;
  guilds(): WireGuild[];
  heartbeatIntervalMs: number;
}

/** Which sessions get an event: Discord filters by intents, and hides content without MESSAGE_CONTENT. */
export interface DispatchScope {
  intent?: number;
  /** Payload for sessions without the MESSAGE_CONTENT intent; omitted when content is always visible. */
  withoutContent?: unknown;
}

/** The shard a guild's events arrive on; events without a guild (direct messages) arrive on shard 0. */
export function shardForGuild(guildId: string | undefined, shardCount: number): number {
  if (guildId === undefined) return 0;
  return Number((BigInt(guildId) >> 22n) % BigInt(shardCount));
}

/** The guild an event belongs to: `guild_id`, or the guild itself for GUILD_CREATE / UPDATE / DELETE. */
function guildOf(type: string, data: unknown): string | undefined {
  if (typeof data !== 'object' || data === null) return undefined;
  const record = data as { guild_id?: unknown; id?: unknown };
  if (typeof record.guild_id === 'string') return record.guild_id;
  if ((type === 'GUILD_CREATE' || type === 'GUILD_UPDATE' || type === 'GUILD_DELETE') && typeof record.id === 'string') return record.id;
  return undefined;
}

interface Session {
  id: string;
  /** `[shard id, shard count]` from Identify. */
  shard: [number, number];
  intents: number;
  sequence: number;
  socket: WebSocket | undefined;
  /** Dispatches sent while the socket was gone, replayed on RESUME. */
  missed: string[];
}

const MAX_MISSED = 1000;

export class FakeGateway {
  readonly #host: GatewayHost;
  readonly #server = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  readonly #sessions = new Map<string, Session>();
  /** Every opcode a client sent, for assertions (identify count, resumes, heartbeats). */
  readonly received: { op: number; at: number }[] = [];
  /** Every Identify, with its shard: the order and spacing show how the client respected max_concurrency. */
  readonly identified: { shard: [number, number]; at: number }[] = [];
  /** Every dispatch and the shard it went to (`id` is the payload's id, e.g. the message id). */
  readonly deliveries: { type: string; id: string | undefined; shard: number }[] = [];
  url = '';

  constructor(host: GatewayHost) {
    this.#host = host;
  }

  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): void {
    const query = new URL(request.url ?? '/', 'http://fake').searchParams;
    this.#server.handleUpgrade(request, socket, head, (ws) => {
      if (query.get('compress')) {
        ws.close(4000, 'The fake gateway speaks uncompressed JSON only');
        return;
      }
      if (query.get('encoding') && query.get('encoding') !== 'json') {
        ws.close(4002, 'Decode error: only encoding=json is supported');
        return;
      }
      this.#accept(ws);
    });
  }

  #accept(ws: WebSocket): void {
    let session: Session | undefined;
    ws.send(JSON.stringify({ op: 10, d: { heartbeat_interval: this.#host.heartbeatIntervalMs }, s: null, t: null }));
    ws.on('message', (raw) => {
      let payload: { op?: number; d?: Record<string, unknown> | number | null };
      try {
        payload = JSON.parse(String(raw)) as typeof payload;
      } catch {
        ws.close(4002, 'Decode error');
        return;
      }
      this.received.push({ op: payload.op ?? -1, at: Date.now() });
      switch (payload.op) {
        case 1:
          ws.send(JSON.stringify({ op: 11, d: null, s: null, t: null }));
          break;
        case 2: {
          const data = (payload.d ?? {}) as { token?: string; intents?: number; shard?: [number, number] };
          if (data.token !== this.#host.token && data.token !== `Bot ${this.#host.token}`) {
            ws.close(4004, 'Authentication failed.');
            return;
          }
          const shard = data.shard ?? [0, 1];
          if (!Number.isInteger(shard[0]) || !Number.isInteger(shard[1]) || shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1]) {
            ws.close(4010, 'Invalid shard.');
            return;
          }
          this.identified.push({ shard: [shard[0], shard[1]], at: Date.now() });
          session = { id: randomBytes(16).toString('hex'), shard: [shard[0], shard[1]], intents: data.intents ?? 0, sequence: 0, socket: ws, missed: [] };
          this.#sessions.set(session.id, session);
          const [shardId, shardCount] = session.shard;
          const guilds = this.#host.guilds().filter((guild) => shardForGuild(guild.id, shardCount) === shardId);
          this.#send(session, 'READY', {
            v: 10,
            user: this.#host.botUser(),
            guilds: guilds.map((guild) => ({ id: guild.id, unavailable: true })),
            session_id: session.id,
            resume_gateway_url: this.url,
            shard: session.shard,
            application: { id: this.#host.applicationId, flags: 0 },
            private_channels: [],
            relationships: [],
            user_settings: {},
            presences: [],
            guild_join_requests: [],
            geo_ordered_rtc_regions: [],
          });
          if ((session.intents & Intent.Guilds) !== 0) {
            for (const guild of guilds) this.#send(session, 'GUILD_CREATE', guildCreatePayload(guild));
          }
          break;
        }
        case 6: {
          const data = (payload.d ?? {}) as { session_id?: string; seq?: number };
          const previous = data.session_id ? this.#sessions.get(data.session_id) : undefined;
          if (!previous) {
            ws.send(JSON.stringify({ op: 9, d: false, s: null, t: null }));
            return;
          }
          session = previous;
          session.socket = ws;
          const missed = session.missed.splice(0);
          for (const frame of missed) ws.send(frame);
          this.#send(session, 'RESUMED', {});
          break;
        }
        default:
          // presence updates, member requests, voice: accepted and ignored
          break;
      }
    });
    ws.on('close', () => {
      if (session && session.socket === ws) session.socket = undefined;
    });
    ws.on('error', () => {});
  }

  #send(session: Session, type: string, data: unknown): void {
    session.sequence += 1;
    const frame = JSON.stringify({ op: 0, t: type, s: session.sequence, d: data });
    if (session.socket && session.socket.readyState === session.socket.OPEN) session.socket.send(frame);
    else if (session.missed.length < MAX_MISSED) session.missed.push(frame);
  }

  /** Sends an event to every identified session on the event's shard whose intents allow it. */
  dispatch(type: string, data: unknown, scope: DispatchScope = {}): void {
    const guildId = guildOf(type, data);
    for (const session of this.#sessions.values()) {
      if (shardForGuild(guildId, session.shard[1]) !== session.shard[0]) continue;
      if (scope.intent !== undefined && (session.intents & scope.intent) === 0) continue;
      const id = (data as { id?: unknown } | null)?.id;
      this.deliveries.push({ type, id: typeof id === 'string' ? id : undefined, shard: session.shard[0] });
      const hidden = scope.withoutContent !== undefined && (session.intents & Intent.MessageContent) === 0;
      this.#send(session, type, hidden ? scope.withoutContent : data);
    }
  }

  /** Intents of the sessions currently identified (to assert what the client asked for). */
  sessionIntents(): number[] {
    return [...this.#sessions.values()].map((session) => session.intents);
  }

  /** The shards of the sessions that currently have a socket, as `id/count`. */
  connectedShards(): string[] {
    return [...this.#sessions.values()].filter((session) => session.socket !== undefined).map((session) => `${session.shard[0]}/${session.shard[1]}`);
  }

  connectedSessions(): number {
    return [...this.#sessions.values()].filter((session) => session.socket !== undefined).length;
  }

  /** Closes every socket (or only one shard's) with a resumable code; clients are expected to RESUME. */
  dropConnections(code = 4000, shardId?: number): void {
    for (const session of this.#sessions.values()) {
      if (shardId === undefined || session.shard[0] === shardId) session.socket?.close(code, 'Simulated disconnect');
    }
  }

  async close(): Promise<void> {
    for (const session of this.#sessions.values()) session.socket?.terminate();
    this.#sessions.clear();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}

function guildCreatePayload(guild: WireGuild): unknown {
  return {
    id: guild.id,
    name: guild.name,
    icon: null,
    splash: null,
    discovery_splash: null,
    owner_id: guild.owner_id,
    afk_channel_id: null,
    afk_timeout: 300,
    verification_level: 0,
    default_message_notifications: 0,
    explicit_content_filter: 0,
    roles: guild.roles,
    emojis: [],
    features: [],
    mfa_level: 0,
    application_id: null,
    system_channel_id: null,
    system_channel_flags: 0,
    rules_channel_id: null,
    vanity_url_code: null,
    description: null,
    banner: null,
    premium_tier: 0,
    preferred_locale: 'en-US',
    public_updates_channel_id: null,
    nsfw_level: 0,
    stickers: [],
    premium_progress_bar_enabled: false,
    joined_at: new Date().toISOString(),
    large: false,
    unavailable: false,
    member_count: guild.members.length,
    voice_states: [],
    members: guild.members,
    channels: guild.channels.filter((channel) => channel.type !== 11),
    threads: guild.channels.filter((channel) => channel.type === 11),
    presences: [],
    stage_instances: [],
    guild_scheduled_events: [],
    soundboard_sounds: [],
  };
}
