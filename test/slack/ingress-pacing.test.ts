import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startSlackIngress, type SlackIngress } from '../../adapters/slack/index.ts';
import { slackAssistantBudget } from '../../adapters/slack/write-budgets.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { RedisWritePacer, shareTransportPacer } from '../../src/render/index.ts';
import { FakeSlack, SlackEventSender, visibleText } from '../fakes/slack/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { RecordingPacer } from '../render/helpers/recording-pacer.ts';
import { eventually, recordingServices, sleep, slackTestConfig, type RecordingServices } from './support.ts';

/**
 * The gateway's own Slack writes (private notes, failure notices, the assistant's status and
 * title, a command's question) draw from their method budgets through the process's shared pacer,
 * the one `core.ts` shares and the workers' answers draw from.
 */

let slack: FakeSlack;
let services: RecordingServices;
let ingress: SlackIngress;
let sender: SlackEventSender;
let redis: Redis;
let prefix: string;
let pacer: RecordingPacer;

beforeEach(async () => {
  slack = await new FakeSlack().start();
  slack.addUser('UALICE', 'alice');
  prefix = newTestPrefix('slack-ingress-pacing');
  redis = new Redis(testRedisUrl());
  pacer = new RecordingPacer(new RedisWritePacer({ redis, prefix }));
  shareTransportPacer(pacer);
  services = recordingServices();
  ingress = await startSlackIngress(slackTestConfig(slack), services, silentLogger(), { port: 0 });
  sender = new SlackEventSender({ url: `http://127.0.0.1:${ingress.port}/slack/events`, signingSecret: 'test-signing-secret', slack });
});

afterEach(async () => {
  shareTransportPacer(undefined);
  await ingress.stop();
  await slack.stop();
  redis.disconnect();
  await deleteKeys(prefix);
});

describe("the Slack gateway's writes", () => {
  it("send a refusal as a final write of the workspace's chat.postEphemeral budget", async () => {
    Object.assign(services, { gate: { check: async () => ({ allowed: false, reason: 'access', notice: 'Only the design team may ask here.' }) } });
    await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi` });
    await eventually(() => slack.workspace.ephemerals.length === 1);
    expect(pacer.asks).toEqual([`slack:${slack.teamId}:chat.postEphemeral final`]);
  });

  it("stop the placeholder's stream and show the failure from the stop and chat.update budgets", async () => {
    services.enqueue = async () => {
      throw new Error('redis is down');
    };
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi` });
    const message = await eventually(() => slack.botReplies('C1', sent.ts).find((reply) => reply.edits > 0));
    expect(visibleText(message)).toContain('could not start');
    const team = slack.teamId;
    expect(pacer.asks).toEqual([`slack:${team}:C1:stops+slack:${team}:posts final`, `slack:${team}:chat.update final`]);
  });

  it("offer suggestions, set an assistant thread's title and its status only with room in their budgets, never waiting", async () => {
    const started = await sender.assistantThreadStarted({ channel: 'D1', user: 'UALICE' });
    await sender.message({ channel: 'D1', user: 'UALICE', text: 'plan my week', thread_ts: started.threadTs });
    await eventually(() => services.enqueued[0]);
    const team = slack.teamId;
    expect(pacer.reserves).toEqual([
      `slack:${team}:assistant.threads.setSuggestedPrompts granted`,
      `slack:${team}:assistant.threads.setTitle granted`,
      `slack:${team}:assistant.threads.setStatus granted`,
    ]);
    expect(slack.workspace.assistantStatus.get(`D1:${started.threadTs}`)).toEqual(['is thinking…']);
    expect(pacer.asks).toEqual([]);
  });

  it('leave the status out, and still queue the request, while its budget is held off', async () => {
    await pacer.holdOff([slackAssistantBudget(slack.teamId, 'setStatus')], 60_000);
    const started = await sender.assistantThreadStarted({ channel: 'D1', user: 'UALICE' });
    await sender.message({ channel: 'D1', user: 'UALICE', text: 'plan my week', thread_ts: started.threadTs });
    await eventually(() => services.enqueued[0]);
    await sleep(100);
    expect(slack.callsTo('assistant.threads.setStatus')).toEqual([]);
    expect(slack.workspace.titles.get(`D1:${started.threadTs}`)).toBe('plan my week');
  });

  it("post a command's question as the first text of the channel's post budgets", async () => {
    await sender.slashCommand({ command: '/ofox', text: 'ask what is a monad?', user: 'UALICE', channel: 'C1' });
    await eventually(() => services.enqueued[0]);
    const team = slack.teamId;
    expect(pacer.asks).toEqual([`slack:${team}:C1:posts+slack:${team}:posts first-text`]);
  });

  it("answer a feedback click with a note from the clicker's workspace budget", async () => {
    await sender.blockAction({ actionId: 'ofox_feedback_up', value: 'slack-Ev1', user: 'UALICE', channel: 'C1', messageTs: '1700000000.000100' });
    await eventually(() => slack.workspace.ephemerals.length === 1);
    expect(pacer.asks).toEqual([`slack:${slack.teamId}:chat.postEphemeral final`]);
  });
});
