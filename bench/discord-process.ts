/**
 * The load bench's fake Discord, run as a child process (`fork`): Discord counts requests as they
 * arrive on its own machine, and a fake sharing the bot's event loop would see them bunched by the
 * bot's lag (a request sent on time but read 800 ms late counts in the wrong rate-limit window).
 * Commands arrive over IPC; every bot write is reported back with the time it took effect.
 *
 *   fork('bench/discord-process.ts', [String(apiLatencyMs)])
 */
import { FakeDiscord } from '../test/fakes/discord/index.ts';

export interface DiscordProcessReady {
  kind: 'ready';
  token: string;
  applicationId: string;
  apiUrl: string;
  channelId: string;
  guildId: string;
  aliceId: string;
}

/** A bot message as it took effect: what the bench needs to time and check it. */
export interface DiscordProcessWrite {
  kind: 'write';
  at: number;
  id: string;
  content: string;
  streaming: boolean;
  replyTo: string | undefined;
  create: boolean;
}

export type DiscordProcessCommand =
  | { op: 'addTextChannel'; call: number; name: string }
  | { op: 'userSays'; call: number; channelId: string; content: string }
  | { op: 'summary'; call: number };

export interface DiscordProcessSummary {
  rateLimited: number;
  writes: number;
  /** Requests by status, method and route, for LOAD_DEBUG. */
  routes: Record<string, number>;
}

export interface DiscordProcessReply {
  kind: 'reply';
  call: number;
  value: unknown;
}

const latencyMs = Number(process.argv[2] ?? '50');
const fake = await FakeDiscord.start();
// Takes effect at once and answers `latencyMs` later, like the fake Slack.
fake.delayNextAnswers(Number.MAX_SAFE_INTEGER, latencyMs);
fake.state.botWriteObserver = (message, kind) => {
  process.send?.({
    kind: 'write',
    at: Date.now(),
    id: message.id,
    content: message.content,
    streaming: JSON.stringify(message.components).includes('"stop'),
    replyTo: message.message_reference?.message_id,
    create: kind === 'create',
  } satisfies DiscordProcessWrite);
};

function summary(): DiscordProcessSummary {
  const routes: Record<string, number> = {};
  for (const request of fake.requests) {
    const key = `${request.status}${request.rateLimitScope ? ` (${request.rateLimitScope})` : ''} ${request.method} ${request.path.replace(/\d{17,20}/g, ':id').replace(/\/webhooks\/.*/, '/webhooks/…')}`;
    routes[key] = (routes[key] ?? 0) + 1;
  }
  return { rateLimited: fake.rateLimitedCount, writes: fake.messageWrites().filter((request) => request.status < 300).length, routes };
}

process.on('message', (raw: unknown) => {
  const command = raw as DiscordProcessCommand;
  const value =
    command.op === 'addTextChannel'
      ? fake.addTextChannel(command.name).id
      : command.op === 'userSays'
        ? fake.userSays({ channelId: command.channelId, content: command.content, mentionBot: true }).id
        : summary();
  process.send?.({ kind: 'reply', call: command.call, value } satisfies DiscordProcessReply);
});
process.on('disconnect', () => {
  void fake.stop().finally(() => process.exit(0));
});

process.send?.({
  kind: 'ready',
  token: fake.token,
  applicationId: fake.applicationId,
  apiUrl: fake.apiUrl,
  channelId: fake.channel.id,
  guildId: fake.guild.id,
  aliceId: fake.alice.id,
} satisfies DiscordProcessReady);
