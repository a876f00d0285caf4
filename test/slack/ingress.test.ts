import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackIngress, type SlackIngress } from '../../adapters/slack/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import { FakeSlack, SlackEventSender, buttonsOf, visibleText } from '../fakes/slack/index.ts';
import { eventually, recordingServices, sleep, slackTestConfig, type RecordingServices } from './support.ts';

let slack: FakeSlack;
let services: RecordingServices;
let ingress: SlackIngress;
let sender: SlackEventSender;

async function start(overrides: Record<string, string> = {}): Promise<void> {
  services = recordingServices();
  const config = slackTestConfig(slack, { SLACK_ADMIN_USER_IDS: 'UADMIN', ...overrides });
  ingress = await startSlackIngress(config, services, silentLogger(), { port: 0 });
  sender = new SlackEventSender({ url: `http://127.0.0.1:${ingress.port}/slack/events`, signingSecret: 'test-signing-secret', slack });
}

beforeEach(async () => {
  slack = await new FakeSlack().start();
  slack.addUser('UALICE', 'alice');
});

afterEach(async () => {
  await ingress?.stop();
  await slack.stop();
});

describe('mentions', () => {
  beforeEach(() => start());

  it('a signed app_mention posts one placeholder in the thread and enqueues one job', async () => {
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> what is a monad?` });
    expect(sent.status).toBe(200);
    const job = await eventually(() => services.enqueued[0]);
    expect(job).toMatchObject({ platform: 'slack', channelId: 'C1', userId: 'UALICE', prompt: 'what is a monad?', threadId: sent.ts, messageId: sent.ts, workspaceId: slack.teamId });
    expect(job.placeholder?.extra?.stream).toBe('1');
    const replies = slack.botReplies('C1', sent.ts);
    expect(replies).toHaveLength(1);
    expect(replies[0]?.ts).toBe(job.placeholder?.id);
    expect(replies[0]?.streaming_state).toBe('in_progress');
    expect(buttonsOf(replies[0]!)).toEqual(['ofox_stop']);
    const stop = slack.callsTo('chat.startStream')[0]?.args.chunks as Array<{ type: string; blocks?: Array<{ elements: Array<{ value: string }> }> }>;
    expect(stop[0]?.blocks?.[0]?.elements[0]?.value).toBe(jobIdFor('slack', sent.eventId!));
    await sleep(100);
    expect(services.enqueued).toHaveLength(1);
  });

  it('a forged signature is refused and nothing is enqueued', async () => {
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi` }, { forgeSignature: true });
    expect(sent.status).toBe(401);
    await sleep(150);
    expect(services.claimed).toEqual([]);
    expect(services.enqueued).toEqual([]);
    expect(slack.callsTo('chat.startStream')).toEqual([]);
  });

  it('a replayed request with an old timestamp is refused', async () => {
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi` }, { timestamp: Math.floor(Date.now() / 1000) - 10 * 60 });
    expect(sent.status).toBe(401);
    await sleep(150);
    expect(services.enqueued).toEqual([]);
  });

  it('a redelivered event (same event_id, X-Slack-Retry-Num) makes one answer', async () => {
    const first = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi`, ts: '1700000100.000100' });
    await eventually(() => services.enqueued.length === 1);
    const again = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi`, ts: '1700000100.000100' }, { eventId: first.eventId, retryNum: 1, retryReason: 'http_timeout' });
    expect(again.status).toBe(200);
    await sleep(200);
    expect(services.enqueued).toHaveLength(1);
    expect(slack.botReplies('C1', first.ts)).toHaveLength(1);
  });

  it('ignores messages from bots, itself included', async () => {
    await sender.appMention({ channel: 'C1', user: 'UOTHERBOT', bot_id: 'B999', text: `<@${slack.botUserId}> ping` });
    await sender.message({ channel: 'D1', user: slack.botUserId, bot_id: slack.botId, text: 'my own words' });
    await sender.message({ channel: 'D1', user: 'UOTHERBOT', bot_id: 'B999', subtype: 'bot_message', text: 'beep' });
    await sleep(250);
    expect(services.enqueued).toEqual([]);
  });

  it('answers a direct message in its thread', async () => {
    const sent = await sender.message({ channel: 'D1', user: 'UALICE', text: 'hello there' });
    const job = await eventually(() => services.enqueued[0]);
    expect(job).toMatchObject({ channelId: 'D1', prompt: 'hello there', threadId: sent.ts });
  });

  it('answers a follow-up in a thread it answered without a new mention, and nothing else', async () => {
    const mention = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> first` });
    await eventually(() => services.enqueued.length === 1);
    await sender.message({ channel: 'C1', user: 'UALICE', text: 'and a follow-up', thread_ts: mention.ts });
    await eventually(() => services.enqueued.length === 2);
    expect(services.enqueued[1]).toMatchObject({ prompt: 'and a follow-up', threadId: mention.ts });
    const elsewhere = await sender.message({ channel: 'C1', user: 'UALICE', text: 'unrelated top-level' });
    await sender.message({ channel: 'C1', user: 'UALICE', text: 'unrelated reply', thread_ts: elsewhere.ts });
    await sleep(200);
    expect(services.enqueued).toHaveLength(2);
  });

  it('passes uploaded files along as attachments', async () => {
    const file = slack.addFile('notes.txt', 'text/plain', 'hello file');
    await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> read this`, files: [file] });
    const job = await eventually(() => services.enqueued[0]);
    expect(job.attachments).toEqual([{ kind: 'text', name: 'notes.txt', url: file.url_private_download, mediaType: 'text/plain', sizeBytes: file.size }]);
  });

  it('survives a malformed event without crashing', async () => {
    const result = await sender.event({ type: 'app_mention', text: 'no channel or user' });
    expect(result.status).toBe(200);
    const bad = await sender.post('{not json', 'application/json');
    expect(bad.status).toBeGreaterThanOrEqual(400);
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> still alive?` });
    expect(sent.status).toBe(200);
    await eventually(() => services.enqueued.length === 1);
  });
});

describe('the gate', () => {
  it('a refusal is shown only to the asker; nothing is posted or enqueued', async () => {
    await start();
    Object.assign(services, { gate: { check: async () => ({ allowed: false, reason: 'access', notice: 'Only the design team may ask here.' }) } });
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi` });
    await eventually(() => slack.workspace.ephemerals.length === 1);
    await sleep(150);
    expect(slack.workspace.ephemerals).toEqual([expect.objectContaining({ channel: 'C1', user: 'UALICE', text: 'Only the design team may ask here.', thread_ts: sent.ts })]);
    expect(slack.botReplies('C1', sent.ts)).toHaveLength(0);
    expect(slack.callsTo('chat.startStream')).toEqual([]);
    expect(services.enqueued).toEqual([]);
  });
});

describe('when the queue is down', () => {
  it('says so in the placeholder instead of leaving it thinking', async () => {
    await start();
    services.enqueue = async () => {
      throw new Error('redis is down');
    };
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi` });
    const message = await eventually(() => slack.botReplies('C1', sent.ts).find((reply) => reply.edits > 0));
    expect(message.streaming_state).toBe('completed');
    expect(visibleText(message)).toContain('could not start');
    expect(buttonsOf(message)).toEqual([]);
  });
});

describe('malformed payloads', () => {
  it('are logged as one structured line and never crash the gateway', async () => {
    const lines: Array<Record<string, unknown>> = [];
    services = recordingServices();
    const log = pino({ level: 'warn' }, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) });
    ingress = await startSlackIngress(slackTestConfig(slack), services, log, { port: 0 });
    sender = new SlackEventSender({ url: `http://127.0.0.1:${ingress.port}/slack/events`, signingSecret: 'test-signing-secret', slack });
    await sender.event({ type: 'app_mention', text: 'no channel, no user' });
    await sender.blockAction({ actionId: 'ofox_stop', value: '', user: 'UALICE', channel: 'C1', messageTs: '1.1' });
    const line = await eventually(() => lines.find((entry) => entry.msg === 'slack: malformed app_mention'));
    expect(line).toMatchObject({ platform: 'slack', level: 40 });
    await eventually(() => lines.some((entry) => entry.msg === 'slack: malformed stop click'));
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> still here?` });
    expect(sent.status).toBe(200);
    await eventually(() => services.enqueued.length === 1);
  });
});

describe('the placeholder when streaming is unavailable', () => {
  it('falls back to a posted message with a Stop button', async () => {
    await start();
    slack.refuseStreaming('feature_not_enabled');
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi` });
    const job = await eventually(() => services.enqueued[0]);
    expect(job.placeholder?.extra?.stream).toBeUndefined();
    const [placeholder] = slack.botReplies('C1', sent.ts);
    expect(placeholder?.streaming_state).toBeUndefined();
    expect(buttonsOf(placeholder!)).toEqual(['ofox_stop']);
  });

  it('posts the placeholder when Slack keeps buttons out of streams', async () => {
    await start();
    slack.streamBlocksAllowed = false;
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi` });
    const job = await eventually(() => services.enqueued[0]);
    expect(job.placeholder?.extra?.stream).toBeUndefined();
    expect(buttonsOf(slack.botReplies('C1', sent.ts)[0]!)).toEqual(['ofox_stop']);
    // Later mentions skip the failing attempt.
    await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> again` });
    await eventually(() => services.enqueued.length === 2);
    expect(slack.callsTo('chat.startStream')).toHaveLength(1);
  });

  it('posts a mrkdwn placeholder in update mode', async () => {
    await start({ SLACK_STREAMING: 'update' });
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi` });
    await eventually(() => services.enqueued[0]);
    expect(slack.callsTo('chat.startStream')).toEqual([]);
    expect(slack.botReplies('C1', sent.ts)[0]?.blocks?.[0]?.type).toBe('section');
  });
});

describe('the slash command', () => {
  beforeEach(() => start());

  it('routes subcommands to runCommand with isAdmin from SLACK_ADMIN_USER_IDS', async () => {
    await sender.slashCommand({ command: '/ofox', text: 'model openai/gpt-4o', user: 'UALICE', channel: 'C1' });
    await sender.slashCommand({ command: '/ofox', text: 'model openai/gpt-4o', user: 'UADMIN', channel: 'C1' });
    await sender.slashCommand({ command: '/ofox', text: 'persona clear', user: 'UADMIN', channel: 'C1' });
    await sender.slashCommand({ command: '/ofox', text: 'tools enable fetch_url', user: 'UALICE', channel: 'C1' });
    await sender.slashCommand({ command: '/ofox', text: '', user: 'UALICE', channel: 'C1' });
    await sender.slashCommand({ command: '/ofox', text: 'image-model openai/gpt-image-2 --workspace', user: 'UADMIN', channel: 'C1' });
    await eventually(() => services.commands.length === 6);
    expect(services.commands.map((command) => [command.name, command.args, command.userId, command.isAdmin])).toEqual([
      ['model', 'openai/gpt-4o', 'UALICE', false],
      ['model', 'openai/gpt-4o', 'UADMIN', true],
      ['persona', 'clear', 'UADMIN', true],
      ['tools', 'enable fetch_url', 'UALICE', false],
      ['help', '', 'UALICE', false],
      ['image-model', 'openai/gpt-image-2 --workspace', 'UADMIN', true],
    ]);
    const replies = await eventually(() => slack.responses.length >= 6 && slack.responses);
    expect(replies.map((reply) => reply.body.text)).toContain('Only admins can change the model.');
    expect(replies.every((reply) => reply.body.response_type === 'ephemeral')).toBe(true);
  });

  it('ask posts the question, a placeholder in its thread, and enqueues', async () => {
    const sent = await sender.slashCommand({ command: '/ofox', text: 'ask what is <!channel> for?', user: 'UALICE', userName: 'alice', channel: 'C1', triggerId: '123.456.abc' });
    expect(sent.status).toBe(200);
    const job = await eventually(() => services.enqueued[0]);
    expect(job).toMatchObject({ eventId: '123.456.abc', fromCommand: true, prompt: 'what is <!channel> for?', channelId: 'C1' });
    const question = slack.message('C1', job.threadId!);
    expect(question?.text).toContain('alice asked:');
    expect(question?.text).not.toContain('<!channel>');
    expect(slack.botReplies('C1', job.threadId!)).toHaveLength(1);
  });

  it('ask in a channel the bot is not in explains how to invite it', async () => {
    slack.notInChannel.add('C9');
    const sent = await sender.slashCommand({ command: '/ofox', text: 'ask hello', user: 'UALICE', channel: 'C9' });
    const reply = await eventually(() => slack.responses.find((response) => response.id === sent.responseId));
    expect(String(reply.body.text)).toContain('invite');
    expect(services.enqueued).toEqual([]);
  });
});

describe('buttons', () => {
  beforeEach(() => start());

  it('Stop cancels when the asker presses it, and is refused for someone else', async () => {
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> long story` });
    const job = await eventually(() => services.enqueued[0]);
    const jobId = jobIdFor('slack', job.eventId);
    await sender.blockAction({ actionId: 'ofox_stop', value: jobId, user: 'UBOB', channel: 'C1', messageTs: job.placeholder!.id, threadTs: sent.ts });
    await eventually(() => slack.workspace.ephemerals.length === 1);
    expect(services.cancels).toEqual([]);
    expect(slack.workspace.ephemerals[0]).toMatchObject({ user: 'UBOB', channel: 'C1' });
    await sender.blockAction({ actionId: 'ofox_stop', value: jobId, user: 'UALICE', channel: 'C1', messageTs: job.placeholder!.id, threadTs: sent.ts });
    await eventually(() => services.cancels.length === 1);
    expect(services.cancels[0]).toEqual({ jobId, requestedBy: 'UALICE' });
  });

  it('approve and deny go to decideApproval; a refusal is shown only to the clicker', async () => {
    services.approvalResult = (click) => (click.userId === 'UALICE' ? { status: 'accepted', toolName: 'fetch_url' } : { status: 'not-allowed', message: 'Only alice can approve this.' });
    await sender.blockAction({ actionId: 'ofox_approve', value: 'appr-1', user: 'UBOB', channel: 'C1', messageTs: '1.1' });
    await sender.blockAction({ actionId: 'ofox_deny', value: 'appr-1', user: 'UALICE', channel: 'C1', messageTs: '1.1' });
    await eventually(() => services.clicks.length === 2);
    expect(services.clicks).toEqual([
      { approvalId: 'appr-1', userId: 'UBOB', isAdmin: false, decision: 'approve', platform: 'slack', workspaceId: slack.teamId, channelId: 'C1' },
      { approvalId: 'appr-1', userId: 'UALICE', isAdmin: false, decision: 'deny', platform: 'slack', workspaceId: slack.teamId, channelId: 'C1' },
    ]);
    const note = await eventually(() => slack.workspace.ephemerals[0]);
    expect(note).toMatchObject({ user: 'UBOB', text: 'Only alice can approve this.' });
    await sleep(100);
    expect(slack.workspace.ephemerals).toHaveLength(1);
  });

  it('feedback is acknowledged', async () => {
    const result = await sender.blockAction({ actionId: 'ofox_feedback_up', value: 'slack-Ev1', user: 'UALICE', channel: 'C1', messageTs: '1.1' });
    expect(result.status).toBe(200);
    await eventually(() => slack.workspace.ephemerals.length === 1);
  });
});

describe('assistant threads', () => {
  beforeEach(() => start());

  it('offers suggested prompts when a thread starts', async () => {
    const started = await sender.assistantThreadStarted({ channel: 'D1', user: 'UALICE' });
    await eventually(() => slack.workspace.suggestedPrompts.get(`D1:${started.threadTs}`));
  });

  it('shows a status and a title, then enqueues without a placeholder', async () => {
    const started = await sender.assistantThreadStarted({ channel: 'D1', user: 'UALICE' });
    await sender.message({ channel: 'D1', user: 'UALICE', text: 'plan my week', thread_ts: started.threadTs });
    const job = await eventually(() => services.enqueued[0]);
    expect(job).toMatchObject({ channelId: 'D1', threadId: started.threadTs, prompt: 'plan my week' });
    expect(job.placeholder).toBeUndefined();
    expect(slack.workspace.assistantStatus.get(`D1:${started.threadTs}`)).toEqual(['is thinking…']);
    expect(slack.workspace.titles.get(`D1:${started.threadTs}`)).toBe('plan my week');
  });

  it('a redelivered message sets the status once (not again after the answer)', async () => {
    const started = await sender.assistantThreadStarted({ channel: 'D1', user: 'UALICE' });
    const first = await sender.message({ channel: 'D1', user: 'UALICE', text: 'plan my week', thread_ts: started.threadTs, ts: '1700000300.000100' });
    await eventually(() => services.enqueued.length === 1);
    await sender.message({ channel: 'D1', user: 'UALICE', text: 'plan my week', thread_ts: started.threadTs, ts: '1700000300.000100' }, { eventId: first.eventId, retryNum: 1 });
    // A refused claim leaves no trace to wait for.
    await sleep(300);
    expect(services.enqueued).toHaveLength(1);
    expect(slack.workspace.assistantStatus.get(`D1:${started.threadTs}`)).toEqual(['is thinking…']);
  });

  it('a failing enqueue posts an error in the thread and clears the status', async () => {
    services.enqueue = async () => {
      throw new Error('queue unavailable');
    };
    const started = await sender.assistantThreadStarted({ channel: 'D1', user: 'UALICE' });
    await sender.message({ channel: 'D1', user: 'UALICE', text: 'plan my week', thread_ts: started.threadTs });
    const reply = await eventually(() => slack.botReplies('D1', started.threadTs)[0]);
    expect(visibleText(reply)).toContain('could not start on that');
    const statuses = await eventually(() => slack.workspace.assistantStatus.get(`D1:${started.threadTs}`)?.length === 2 && slack.workspace.assistantStatus.get(`D1:${started.threadTs}`));
    expect(statuses).toEqual(['is thinking…', '']);
  });
});
