/**
 * The load bench's fake Slack, run as a child process (`fork`), for the reason `discord-process.ts`
 * gives: Slack meters calls as they arrive on its own clock, and a fake sharing the bot's event loop
 * would read them late under load and count them in a later window. Commands arrive over IPC; every
 * bot message write is reported back with the time it took effect.
 *
 *   fork('bench/slack-process.ts', [String(apiLatencyMs)])
 */
import { FakeSlack, buttonsOf, visibleText } from '../test/fakes/slack/index.ts';

export interface SlackProcessReady {
  kind: 'ready';
  botToken: string;
  botUserId: string;
  teamId: string;
  apiUrl: string;
}

/** A bot message as it took effect: what the bench needs to time and check it. */
export interface SlackProcessWrite {
  kind: 'write';
  at: number;
  channel: string;
  ts: string;
  threadTs: string | undefined;
  text: string;
  /** Finished: no longer streaming and without the Stop button. */
  final: boolean;
}

export type SlackProcessCommand =
  | { op: 'addUser'; call: number; id: string; name: string }
  | { op: 'userSays'; call: number; channel: string; user: string; text: string }
  | { op: 'summary'; call: number };

export interface SlackProcessSummary {
  rateLimited: number;
  /** Accepted message writes (posts, updates, stream starts, appends and stops). */
  writes: number;
  /** Calls by outcome and method, for LOAD_DEBUG. */
  methods: Record<string, number>;
  /** The first channel's post-class calls (method, outcome, ms after the first), for LOAD_DEBUG: what its post budget was spent on, when. */
  firstChannelPosts: string[];
}

const POST_CLASS = new Set(['chat.postMessage', 'chat.startStream', 'chat.stopStream']);

export interface SlackProcessReply {
  kind: 'reply';
  call: number;
  value: unknown;
}

const WRITES = new Set(['chat.postMessage', 'chat.update', 'chat.startStream', 'chat.appendStream', 'chat.stopStream']);

const latencyMs = Number(process.argv[2] ?? '50');
const slack = await new FakeSlack({ latencyMs }).start();
slack.writeObserver = (_method, message) => {
  process.send?.({
    kind: 'write',
    at: Date.now(),
    channel: message.channel,
    ts: message.ts,
    threadTs: message.thread_ts,
    text: visibleText(message),
    final: message.streaming_state !== 'in_progress' && !buttonsOf(message).includes('ofox_stop'),
  } satisfies SlackProcessWrite);
};

function summary(): SlackProcessSummary {
  const methods: Record<string, number> = {};
  for (const call of slack.calls) methods[`${call.outcome} ${call.method}`] = (methods[`${call.outcome} ${call.method}`] ?? 0) + 1;
  const posts = slack.calls.filter((call) => POST_CLASS.has(call.method));
  const channel = posts[0]?.args.channel;
  const firstChannelPosts = posts.filter((call) => call.args.channel === channel).map((call) => `${call.method} ${call.outcome} +${call.at - posts[0]!.at}`);
  return { rateLimited: slack.rateLimitedCount, writes: slack.calls.filter((call) => WRITES.has(call.method) && call.outcome === 'ok').length, methods, firstChannelPosts };
}

process.on('message', (raw: unknown) => {
  const command = raw as SlackProcessCommand;
  let value: unknown;
  if (command.op === 'addUser') value = slack.addUser(command.id, command.name);
  else if (command.op === 'userSays') value = slack.addUserMessage(command.channel, command.user, command.text).ts;
  else value = summary();
  process.send?.({ kind: 'reply', call: command.call, value } satisfies SlackProcessReply);
});
process.on('disconnect', () => {
  void slack.stop().finally(() => process.exit(0));
});

process.send?.({ kind: 'ready', botToken: slack.botToken, botUserId: slack.botUserId, teamId: slack.teamId, apiUrl: slack.apiUrl } satisfies SlackProcessReady);
