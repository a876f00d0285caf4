import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createSlackPorts, type SlackPorts } from '../../adapters/slack/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { chatJobSchema, type ChatJob } from '../../src/queue/chat-job.ts';
import { RedisWritePacer, shareTransportPacer } from '../../src/render/index.ts';
import { slackAssistantBudget } from '../../adapters/slack/write-budgets.ts';
import { FakeSlack } from '../fakes/slack/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { keysOf, RecordingPacer } from '../render/helpers/recording-pacer.ts';
import { slackTestConfig } from './support.ts';

/**
 * Slack writes outside the answer renderer (approval prompts, their outcome, files) draw from the
 * method budgets the renderer's writes use, through the shared Redis pacer, and a 429 from Slack
 * holds the refused budget off for its Retry-After before the one retry.
 */

let slack: FakeSlack;
let redis: Redis;
let prefix: string;
let pacer: RecordingPacer;
let ports: SlackPorts;

const prompt = { approvalId: 'ap-9', jobId: 'slack-Ev9', toolName: 'fetch_url', summary: 'https://a.test', userId: 'UALICE' };

function job(fields: Partial<ChatJob> = {}): ChatJob {
  return chatJobSchema.parse({ v: 1, eventId: 'Ev9', platform: 'slack', workspaceId: slack.teamId, channelId: 'C1', userId: 'UALICE', prompt: 'q', createdAt: Date.now(), ...fields });
}

beforeEach(async () => {
  slack = await new FakeSlack().start();
  slack.addUser('UALICE', 'alice');
  prefix = newTestPrefix('slack-paced');
  redis = new Redis(testRedisUrl());
  pacer = new RecordingPacer(new RedisWritePacer({ redis, prefix }));
  ports = createSlackPorts(slackTestConfig(slack), silentLogger(), { pacer });
});

afterEach(async () => {
  await ports.close();
  await slack.stop();
  redis.disconnect();
  await deleteKeys(prefix);
});

describe('Slack writes outside the renderer', () => {
  it("draw an approval prompt from the channel's and workspace's post budgets and its outcome from chat.update's, as the answer's writes do", async () => {
    const root = slack.addUserMessage('C1', 'UALICE', 'fetch it');
    const answerJob = job({ threadId: root.ts, messageId: root.ts });
    const ref = await ports.approvals!.post(answerJob, prompt);
    await ports.approvals!.resolve(ref, prompt, 'approved', 'alice');

    const team = slack.teamId;
    expect(pacer.asks).toEqual([`slack:${team}:C1:posts+slack:${team}:posts first-text`, `slack:${team}:chat.update final`]);
    // The very keys the answer's surface draws a post and an update from.
    const surface = ports.surfaceFor(answerJob);
    expect(keysOf(surface.budgetsFor!({ kind: 'create', final: false }))).toBe(`slack:${team}:C1:posts+slack:${team}:posts`);
    expect(keysOf(surface.budgetsFor!({ kind: 'edit', ref: { id: '1.0', channelId: 'C1' }, final: true }))).toBe(`slack:${team}:chat.update`);
    expect(slack.message('C1', ref.id)?.text).toContain('Approved by alice');
    expect(pacer.holdOffs).toEqual([]);
  });

  it("holds the channel's post budget off for a 429's Retry-After, then posts the prompt once", async () => {
    const root = slack.addUserMessage('C1', 'UALICE', 'fetch it');
    slack.failNext('chat.postMessage', 'ratelimited', { retryAfterSec: 1 });
    const ref = await ports.approvals!.post(job({ threadId: root.ts, messageId: root.ts }), prompt);

    const posts = slack.callsTo('chat.postMessage');
    expect(posts.map((call) => call.outcome)).toEqual(['ratelimited', 'ok']);
    expect(posts[1]!.at - posts[0]!.at).toBeGreaterThanOrEqual(1_000);
    expect(pacer.holdOffs).toEqual([`slack:${slack.teamId}:C1:posts 1000`]);
    expect(slack.botReplies('C1', root.ts).map((message) => message.ts)).toEqual([ref.id]);
  });

  it("holds chat.update's budget off when the outcome is refused with a 429", async () => {
    const root = slack.addUserMessage('C1', 'UALICE', 'fetch it');
    const ref = await ports.approvals!.post(job({ threadId: root.ts, messageId: root.ts }), prompt);
    slack.failNext('chat.update', 'ratelimited', { retryAfterSec: 1 });
    await ports.approvals!.resolve(ref, prompt, 'denied', 'alice');

    expect(slack.callsTo('chat.update').map((call) => call.outcome)).toEqual(['ratelimited', 'ok']);
    expect(pacer.holdOffs).toEqual([`slack:${slack.teamId}:chat.update 1000`]);
    expect(slack.message('C1', ref.id)?.text).toContain('Denied by alice');
  });

  it('draws files.uploadV2 from the channel and both file methods, and retries the whole upload after a 429', async () => {
    const root = slack.addUserMessage('C1', 'UALICE', 'draw it');
    slack.failNext('files.completeUploadExternal', 'ratelimited', { retryAfterSec: 1 });
    const uploaded = await ports.files!.upload(job({ threadId: root.ts, messageId: root.ts }), { name: 'fox.png', bytes: Buffer.from('png'), mediaType: 'image/png' }, AbortSignal.timeout(10_000));

    const team = slack.teamId;
    const keys = `slack:${team}:C1:posts+slack:${team}:files.getUploadURLExternal+slack:${team}:files.completeUploadExternal`;
    expect(pacer.asks[0]).toBe(`${keys} final`);
    // Slack does not say which step it refused, so every budget of the upload waits.
    expect(pacer.holdOffs).toEqual([`${keys} 1000`]);
    expect(slack.callsTo('files.completeUploadExternal').map((call) => call.outcome)).toEqual(['ratelimited', 'ok']);
    const withFiles = slack.botReplies('C1', root.ts).filter((message) => (message.files?.length ?? 0) > 0);
    expect(withFiles.map((message) => message.files!.map((file) => file.name))).toEqual([['fox.png']]);
    expect(uploaded.name).toBe('fox.png');
  });

  it("shows an answer's \"is thinking…\" only while the workspace's setStatus budget has room", async () => {
    shareTransportPacer(pacer);
    try {
      const surface = ports.surfaceFor(job({ channelId: 'D1', threadId: '1700000000.000100', messageId: '1700000000.000100' }));
      await surface.typing!();
      await pacer.holdOff([slackAssistantBudget(slack.teamId, 'setStatus')], 60_000);
      await surface.typing!();
      expect(slack.callsTo('assistant.threads.setStatus').map((call) => call.args.status)).toEqual(['is thinking…']);
      const key = `slack:${slack.teamId}:assistant.threads.setStatus`;
      expect(pacer.reserves).toEqual([`${key} granted`, `${key} refused`]);
    } finally {
      shareTransportPacer(undefined);
    }
  });
});
