import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import type { FakeSlack } from './server.ts';

/**
 * Slack's Socket Mode on loopback, beside a `FakeSlack`: `apps.connections.open` (with the app-level
 * token) answers a `wss`-style URL of this server; a connection gets `hello`, then event envelopes
 * (`envelope_id`, `type: events_api`, the Events API body as `payload`) that the client must ack by
 * sending `{ envelope_id }` back; a `disconnect` envelope asks the client to reconnect through a
 * fresh `apps.connections.open`, after which this side closes the old socket, as Slack does.
 */

export interface FakeSocketModeOptions {
  /** @defaultValue 'xapp-fake-app-token' */
  appToken?: string;
  /** @defaultValue 'A0FAKEAPP' */
  appId?: string;
  /** Slack pings its clients; so does the fake. @defaultValue 5_000 */
  pingIntervalMs?: number;
}

export interface SentEnvelope {
  envelopeId: string;
  /** Resolves with the ack's payload when the client acks (undefined payload for a plain ack). */
  acked: Promise<unknown>;
}

export class FakeSocketMode {
  readonly appToken: string;
  readonly appId: string;
  /** Every socket ever opened, oldest first. */
  readonly connections: WebSocket[] = [];
  /** Acks received, by envelope id. */
  readonly acks = new Map<string, unknown>();
  private readonly slack: FakeSlack;
  private readonly http: Server;
  private readonly wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  private readonly pingIntervalMs: number;
  private readonly waiting = new Map<string, (payload: unknown) => void>();
  private nextTicket = 1;
  private nextEnvelope = 1;
  private nextEvent = 1;
  private port = 0;
  private pinger: ReturnType<typeof setInterval> | undefined;

  constructor(slack: FakeSlack, options: FakeSocketModeOptions = {}) {
    this.slack = slack;
    this.appToken = options.appToken ?? 'xapp-fake-app-token';
    this.appId = options.appId ?? 'A0FAKEAPP';
    this.pingIntervalMs = options.pingIntervalMs ?? 5_000;
    this.http = createServer((_request, response) => response.writeHead(426).end());
    this.http.on('upgrade', (request, socket, head) => {
      const ticket = new URL(request.url ?? '/', 'ws://fake').searchParams.get('ticket');
      if (!ticket) return void socket.destroy();
      this.wss.handleUpgrade(request, socket, head, (ws) => this.accept(ws));
    });
  }

  async start(): Promise<this> {
    await new Promise<void>((resolve) => this.http.listen(0, '127.0.0.1', resolve));
    this.port = (this.http.address() as AddressInfo).port;
    this.slack.appTokenMethods.set('apps.connections.open', (token) =>
      token === this.appToken ? { ok: true, url: `ws://127.0.0.1:${this.port}/link/?ticket=${this.nextTicket++}&app_id=${this.appId}` } : { ok: false, error: token ? 'invalid_auth' : 'not_authed' },
    );
    this.pinger = setInterval(() => {
      for (const ws of this.open()) ws.ping();
    }, this.pingIntervalMs);
    return this;
  }

  async stop(): Promise<void> {
    if (this.pinger) clearInterval(this.pinger);
    this.slack.appTokenMethods.delete('apps.connections.open');
    for (const ws of this.connections) ws.terminate();
    this.wss.close();
    this.http.closeAllConnections();
    await new Promise<void>((resolve) => this.http.close(() => resolve()));
  }

  /** Sockets currently open. */
  open(): WebSocket[] {
    return this.connections.filter((ws) => ws.readyState === ws.OPEN);
  }

  /** Sends an Events API body over the newest open socket. */
  sendEvent(event: Record<string, unknown>): SentEnvelope & { eventId: string } {
    const eventId = `Ev${String(this.nextEvent++).padStart(8, '0')}`;
    const payload = {
      token: 'legacy-verification-token',
      team_id: this.slack.teamId,
      api_app_id: this.appId,
      event: { event_ts: event.ts, ...event },
      type: 'event_callback',
      event_id: eventId,
      event_time: Math.floor(Date.now() / 1000),
      authorizations: [{ team_id: this.slack.teamId, user_id: this.slack.botUserId, is_bot: true, is_enterprise_install: false }],
      is_ext_shared_channel: false,
    };
    return { ...this.sendEnvelope({ type: 'events_api', payload, accepts_response_payload: false, retry_attempt: 0, retry_reason: '' }), eventId };
  }

  /** A person @mentions the bot (stored in the fake Slack first, as Slack has the message before it tells the app). */
  appMention(input: { channel: string; user: string; text: string }): SentEnvelope & { ts: string; eventId: string } {
    const message = this.slack.addUserMessage(input.channel, input.user, input.text);
    const sent = this.sendEvent({ type: 'app_mention', channel: input.channel, user: input.user, text: input.text, ts: message.ts });
    return { ...sent, ts: message.ts };
  }

  /** Slack's "please reconnect" (`refresh_requested` before it recycles a host); closes the socket a moment later. */
  requestReconnect(reason = 'refresh_requested', closeAfterMs = 500): void {
    const ws = this.newest();
    ws.send(JSON.stringify({ type: 'disconnect', reason, debug_info: { host: 'fake-socket-mode' } }));
    setTimeout(() => ws.close(1000), closeAfterMs).unref();
  }

  private sendEnvelope(envelope: Record<string, unknown>): SentEnvelope {
    const envelopeId = `env-${this.nextEnvelope++}`;
    const acked = new Promise<unknown>((resolve) => this.waiting.set(envelopeId, resolve));
    this.newest().send(JSON.stringify({ envelope_id: envelopeId, ...envelope }));
    return { envelopeId, acked };
  }

  private newest(): WebSocket {
    const ws = this.open().at(-1);
    if (!ws) throw new Error('no Socket Mode connection is open');
    return ws;
  }

  private accept(ws: WebSocket): void {
    this.connections.push(ws);
    ws.on('message', (data) => {
      let message: { envelope_id?: string; payload?: unknown };
      try {
        message = JSON.parse(data.toString()) as typeof message;
      } catch {
        return;
      }
      if (!message.envelope_id) return;
      this.acks.set(message.envelope_id, message.payload);
      this.waiting.get(message.envelope_id)?.(message.payload);
      this.waiting.delete(message.envelope_id);
    });
    ws.send(JSON.stringify({ type: 'hello', num_connections: this.open().length, debug_info: { host: 'fake-socket-mode', approximate_connection_time: 18060 }, connection_info: { app_id: this.appId } }));
  }
}
