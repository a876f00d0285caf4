import { WebClient } from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SlackConversationReader } from '../../adapters/slack/context.ts';
import { createSlackPorts, type SlackPorts } from '../../adapters/slack/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { chatJobSchema, type ChatJob } from '../../src/queue/chat-job.ts';
import { FakeSlack } from '../fakes/slack/index.ts';
import { declareOnly, startFileServer, streamBody, type FileServer } from '../helpers/file-server.ts';
import { slackTestConfig } from './support.ts';

let slack: FakeSlack;
let ports: SlackPorts;
const signal = new AbortController().signal;

function job(fields: Partial<ChatJob>): ChatJob {
  return chatJobSchema.parse({ v: 1, eventId: 'Ev1', platform: 'slack', workspaceId: slack.teamId, channelId: 'C1', userId: 'UALICE', prompt: 'q', createdAt: Date.now(), ...fields });
}

beforeEach(async () => {
  slack = await new FakeSlack({ defaultRateLimits: false }).start();
  slack.addUser('UALICE', 'alice');
  slack.addUser('UBOB', 'bob');
  // The fake serves files from its own loopback origin (SLACK_API_URL's), which the address
  // policy reaches only because the allowlist names loopback, as a test must.
  ports = createSlackPorts(slackTestConfig(slack, { FETCH_URL_ALLOWLIST: '127.0.0.1' }), silentLogger());
});

afterEach(async () => {
  await ports.close();
  await slack.stop();
});

describe('the conversation reader', () => {
  it('maps the thread to turns: the bot is the assistant, people are named users', async () => {
    const root = slack.addUserMessage('C1', 'UALICE', `<@${slack.botUserId}> what is 2+2?`);
    slack.workspace.add({ channel: 'C1', thread_ts: root.ts, user: slack.botUserId, bot_id: slack.botId, text: 'fallback', blocks: [{ type: 'markdown', text: 'It is **4**.' }] });
    slack.addUserMessage('C1', 'UBOB', 'and <@UALICE> asked &lt;why&gt;', { thread_ts: root.ts });
    const trigger = slack.addUserMessage('C1', 'UALICE', 'why though?', { thread_ts: root.ts });
    const placeholder = slack.workspace.add({ channel: 'C1', thread_ts: root.ts, user: slack.botUserId, bot_id: slack.botId, text: 'Thinking…' });
    const history = await ports.conversation.history(job({ threadId: root.ts, messageId: trigger.ts, placeholder: { id: placeholder.ts, channelId: 'C1' } }), { signal, maxMessages: 50 });
    expect(history).toEqual([
      { role: 'user', content: '@ofox what is 2+2?', name: 'alice' },
      { role: 'assistant', content: 'It is **4**.' },
      { role: 'user', content: 'and @alice asked <why>', name: 'bob' },
    ]);
  });

  it('leaves out another answer still streaming (it carries the Stop button)', async () => {
    const root = slack.addUserMessage('C1', 'UALICE', 'first question');
    slack.workspace.add({
      channel: 'C1',
      thread_ts: root.ts,
      user: slack.botUserId,
      bot_id: slack.botId,
      text: 'half an ans',
      blocks: [{ type: 'markdown', text: 'half an ans' }, { type: 'actions', elements: [{ type: 'button', action_id: 'ofox_stop', value: 'job' }] }],
    });
    const trigger = slack.addUserMessage('C1', 'UBOB', 'second question', { thread_ts: root.ts });
    const history = await ports.conversation.history(job({ threadId: root.ts, messageId: trigger.ts }), { signal, maxMessages: 50 });
    expect(history).toEqual([{ role: 'user', content: 'first question', name: 'alice' }]);
  });

  it('answers without history rather than failing when Slack rate-limits the thread read', async () => {
    const root = slack.addUserMessage('C1', 'UALICE', 'start');
    const trigger = slack.addUserMessage('C1', 'UALICE', 'now', { thread_ts: root.ts });
    slack.failNext('conversations.replies', 'ratelimited', { status: 429, retryAfterSec: 30 });
    const history = await ports.conversation.history(job({ threadId: root.ts, messageId: trigger.ts }), { signal, maxMessages: 10 });
    expect(history).toEqual([]);
  });

  it('keeps only the most recent messages', async () => {
    const root = slack.addUserMessage('C1', 'UALICE', 'start');
    for (let index = 0; index < 5; index += 1) slack.addUserMessage('C1', 'UBOB', `message ${index}`, { thread_ts: root.ts });
    const trigger = slack.addUserMessage('C1', 'UALICE', 'now', { thread_ts: root.ts });
    const history = await ports.conversation.history(job({ threadId: root.ts, messageId: trigger.ts }), { signal, maxMessages: 2 });
    expect(history.map((turn) => turn.content)).toEqual(['message 3', 'message 4']);
  });

  it('reads nothing for slash commands', async () => {
    const root = slack.addUserMessage('C1', 'UALICE', 'start');
    expect(await ports.conversation.history(job({ threadId: root.ts, messageId: root.ts, fromCommand: true }), { signal, maxMessages: 10 })).toEqual([]);
  });

  it('downloads images with the bot token as data: URLs and inlines text files up to the cap', async () => {
    const image = slack.addFile('dot.png', 'image/png', Buffer.from([0x89, 0x50, 0x4e, 0x47]));
    const text = slack.addFile('notes.md', 'text/markdown', 'x'.repeat(50));
    const parts = await ports.conversation.attachments!(
      job({
        attachments: [
          { kind: 'image', name: 'dot.png', url: image.url_private, mediaType: 'image/png', sizeBytes: 4 },
          { kind: 'text', name: 'notes.md', url: text.url_private, mediaType: 'text/markdown' },
        ],
      }),
      { signal, maxTextBytes: 10 },
    );
    expect(parts[0]).toEqual({ type: 'image', url: `data:image/png;base64,${Buffer.from([0x89, 0x50, 0x4e, 0x47]).toString('base64')}`, mediaType: 'image/png' });
    expect(parts[1]).toEqual({ type: 'text', text: 'File notes.md (first 10 bytes):\n```\nxxxxxxxxxx\n```' });
  });

  it('downloads nothing from another host, loopback allowlisted or not, so the token never leaves Slack', async () => {
    const elsewhere = await startFileServer(streamBody(4, { contentType: 'image/png' }));
    try {
      const parts = await ports.conversation.attachments!(
        job({
          attachments: [
            { kind: 'image', name: 'x.png', url: `${elsewhere.origin}/files-pri/T1-F1/x.png`, mediaType: 'image/png', sizeBytes: 4 },
            { kind: 'text', name: 'notes.md', url: 'https://files.example.net/notes.md', mediaType: 'text/markdown' },
          ],
        }),
        { signal, maxTextBytes: 10 },
      );
      expect(parts).toEqual([
        { type: 'text', text: "[attachment x.png could not be read: it is not on Slack's file host]" },
        { type: 'text', text: "[attachment notes.md could not be read: it is not on Slack's file host]" },
      ]);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.stop();
    }
  });
});

describe('file downloads from the trusted file host', () => {
  let host: FileServer | undefined;
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  function readerFor(server: FileServer) {
    return new SlackConversationReader({
      client: new WebClient(undefined, { slackApiUrl: `${server.origin}/api/` }),
      log: silentLogger(),
      botToken: 'xoxb-test-token',
      trustedFileOrigins: [server.origin],
      addressAllowlist: ['127.0.0.1'],
      botUserId: async () => 'UBOT',
      maxImageBytes: 1_000,
    });
  }

  const image = (url: string) => ({ kind: 'image' as const, name: 'big.png', url, mediaType: 'image/png' });

  it('sends the bot token and refuses an image whose Content-Length is over the cap before reading any of its body', async () => {
    host = await startFileServer(declareOnly(50_000_000, 'image/png'));
    const parts = await readerFor(host).attachments(job({ attachments: [image(`${host.origin}/files-pri/T1-F1/big.png`)] }), { signal, maxTextBytes: 10 });
    expect(parts).toEqual([{ type: 'text', text: '[attachment big.png could not be read: it is too large]' }]);
    expect(host.requests).toEqual([{ path: '/files-pri/T1-F1/big.png', authorization: 'Bearer xoxb-test-token' }]);
    expect(host.bodyBytesSent).toBe(0);
  });

  it('refuses an image that sends more than the cap without declaring its length, and hangs up', async () => {
    host = await startFileServer(streamBody(1_000_000, { declare: false, contentType: 'image/png' }));
    const parts = await readerFor(host).attachments(job({ attachments: [image(`${host.origin}/files-pri/T1-F2/big.png`)] }), { signal, maxTextBytes: 10 });
    expect(parts).toEqual([{ type: 'text', text: '[attachment big.png could not be read: it is too large]' }]);
    const deadline = Date.now() + 5_000;
    while (host.closedResponses === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(host.closedResponses).toBe(1);
    expect(host.bodyBytesSent).toBeLessThan(1_000_000);
  });
});

describe('approvals', () => {
  it('posts Approve / Deny in the thread and shows the outcome without buttons', async () => {
    const root = slack.addUserMessage('C1', 'UALICE', 'fetch it');
    const prompt = { approvalId: 'ap-1', jobId: 'slack-Ev1', toolName: 'fetch_url', summary: 'https://a.test <!channel>', userId: 'UALICE' };
    const ref = await ports.approvals!.post(job({ threadId: root.ts, messageId: root.ts }), prompt);
    const posted = slack.message('C1', ref.id)!;
    expect(posted.thread_ts).toBe(root.ts);
    const actions = posted.blocks!.find((block) => block.type === 'actions') as { elements: Array<{ action_id: string; value: string }> };
    expect(actions.elements.map((element) => [element.action_id, element.value])).toEqual([['ofox_approve', 'ap-1'], ['ofox_deny', 'ap-1']]);
    expect(JSON.stringify(posted.blocks)).not.toContain('<!channel>');
    await ports.approvals!.resolve(ref, prompt, 'approved', 'alice');
    const resolved = slack.message('C1', ref.id)!;
    expect(resolved.blocks!.some((block) => block.type === 'actions')).toBe(false);
    expect(resolved.text).toContain('Approved by alice');
  });
});
