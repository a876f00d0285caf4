import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordPorts, type DiscordPorts } from '../../adapters/discord/index.ts';
import { DiscordConversationReader } from '../../adapters/discord/context.ts';
import { createDiscordRest } from '../../adapters/discord/rest.ts';
import { silentLogger } from '../../src/observability/index.ts';
import type { Attachment } from '../../src/queue/chat-job.ts';
import { FakeDiscord } from '../fakes/discord/index.ts';
import { reply } from '../fakes/ofox/index.ts';
import { declareOnly, startFileServer, streamBody, type FileServer } from '../helpers/file-server.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { discordConfig } from './support/discord-config.ts';
import { startDiscordStack } from './support/discord-stack.ts';
import { discordJob } from './support/jobs.ts';

let fake: FakeDiscord;
let redis: Redis;
let prefix: string;
let ports: DiscordPorts;
const signal = new AbortController().signal;

beforeEach(async () => {
  fake = await FakeDiscord.start();
  prefix = newTestPrefix('discord-context');
  redis = new Redis(testRedisUrl());
  // The fake serves attachments from its own loopback origin (DISCORD_API_URL's), which the
  // address policy reaches only because the allowlist names loopback, as a test must.
  ports = createDiscordPorts(discordConfig(fake, testRedisUrl(), prefix, { FETCH_URL_ALLOWLIST: '127.0.0.1' }), silentLogger(), { redis });
});

afterEach(async () => {
  await ports.close();
  await fake.stop();
  redis.disconnect();
  await deleteKeys(prefix);
});

function botReply(channelId: string, content: string, replyTo?: string) {
  return fake.state.createMessage(channelId, fake.bot, { content, allowed_mentions: { parse: [] }, ...(replyTo ? { message_reference: { message_id: replyTo } } : {}) });
}

describe('discord conversation reader', () => {
  it('follows the reply chain upwards, oldest first, without the trigger or the placeholder', async () => {
    const first = fake.userSays({ content: 'What is Rust?', mentionBot: true });
    const answer = botReply(fake.channel.id, 'A systems language.', first.id);
    const second = fake.userSays({ content: `Compare it with Go, <@${fake.bob.id}> asks`, replyTo: answer.id, author: fake.bob });
    const placeholder = botReply(fake.channel.id, '⏳ Thinking…', second.id);
    fake.userSays({ content: 'unrelated chatter' });

    const history = await ports.conversation.history(
      discordJob(fake, { messageId: second.id, eventId: second.id, userId: fake.bob.id, placeholder: { id: placeholder.id, channelId: fake.channel.id } }),
      { signal, maxMessages: 20 },
    );
    expect(history).toEqual([
      { role: 'user', content: 'What is Rust?', name: 'alice' },
      { role: 'assistant', content: 'A systems language.' },
    ]);
  });

  it('a mention the gateway marked as replying to nothing reads no message back; one marked as a reply reads its chain', async () => {
    const first = fake.userSays({ content: 'What is Rust?', mentionBot: true });
    const answer = botReply(fake.channel.id, 'A systems language.', first.id);
    const plain = fake.userSays({ content: 'And Zig?', mentionBot: true });
    const reads = () => fake.requests.filter((request) => request.method === 'GET' && request.path.startsWith(`/channels/${fake.channel.id}/messages`)).length;

    const before = reads();
    expect(await ports.conversation.history(discordJob(fake, { messageId: plain.id, eventId: plain.id, replyTo: null }), { signal, maxMessages: 20 })).toEqual([]);
    expect(reads() - before).toBe(0);

    const follow = fake.userSays({ content: 'Compare it with Go', replyTo: answer.id });
    const history = await ports.conversation.history(discordJob(fake, { messageId: follow.id, eventId: follow.id, replyTo: answer.id }), { signal, maxMessages: 20 });
    expect(history).toEqual([
      { role: 'user', content: 'What is Rust?', name: 'alice' },
      { role: 'assistant', content: 'A systems language.' },
    ]);
  });

  it('reads the reply chain when a thread was opened for the triggering reply itself', async () => {
    const first = fake.userSays({ content: 'What is Rust?', mentionBot: true });
    const answer = botReply(fake.channel.id, 'A systems language.', first.id);
    const followUp = fake.userSays({ content: 'And Go?', replyTo: answer.id });
    const history = await ports.conversation.history(discordJob(fake, { messageId: followUp.id, eventId: followUp.id, threadId: followUp.id }), { signal, maxMessages: 20 });
    expect(history).toEqual([
      { role: 'user', content: 'What is Rust?', name: 'alice' },
      { role: 'assistant', content: 'A systems language.' },
    ]);
  });

  it("leaves out another answer that is still streaming (it still has its Stop button)", async () => {
    const first = fake.userSays({ content: 'What is Rust?', mentionBot: true });
    const streaming = fake.state.createMessage(fake.channel.id, fake.bot, {
      content: 'A systems lang',
      allowed_mentions: { parse: [] },
      message_reference: { message_id: first.id },
      components: [{ type: 1, components: [{ type: 2, style: 4, label: 'Stop', custom_id: 'ofox:stop:discord-1' }] }],
    });
    const trigger = fake.userSays({ content: 'hm?', replyTo: streaming.id });
    const history = await ports.conversation.history(discordJob(fake, { messageId: trigger.id }), { signal, maxMessages: 20 });
    expect(history).toEqual([{ role: 'user', content: 'What is Rust?', name: 'alice' }]);
  });

  it('keeps only the newest turns when the chain is longer than maxMessages', async () => {
    let previous = fake.userSays({ content: 'turn 0', mentionBot: true });
    for (let index = 1; index <= 6; index++) {
      previous = index % 2 === 1 ? botReply(fake.channel.id, `turn ${index}`, previous.id) : fake.userSays({ content: `turn ${index}`, replyTo: previous.id });
    }
    const trigger = fake.userSays({ content: 'latest', replyTo: previous.id });
    const history = await ports.conversation.history(discordJob(fake, { messageId: trigger.id }), { signal, maxMessages: 3 });
    expect(history.map((message) => message.content)).toEqual(['turn 4', 'turn 5', 'turn 6']);
  });

  it('stops quietly where a message in the chain was deleted', async () => {
    const first = fake.userSays({ content: 'gone soon', mentionBot: true });
    const answer = botReply(fake.channel.id, 'answer', first.id);
    fake.state.deleteMessage(first);
    const trigger = fake.userSays({ content: 'follow-up', replyTo: answer.id });
    const history = await ports.conversation.history(discordJob(fake, { messageId: trigger.id }), { signal, maxMessages: 10 });
    expect(history).toEqual([{ role: 'assistant', content: 'answer' }]);
  });

  it('reads the latest direct messages as the history of a DM that replies to nothing', async () => {
    const first = fake.dm({ content: 'remember the number 7' });
    const dmChannel = first.channel_id;
    botReply(dmChannel, 'Noted: 7.', first.id);
    const trigger = fake.dm({ content: 'what was the number?' });
    const placeholder = botReply(dmChannel, '⏳ Thinking…', trigger.id);
    const job = discordJob(fake, { workspaceId: 'dm', channelId: dmChannel, messageId: trigger.id, placeholder: { id: placeholder.id, channelId: dmChannel } });
    const history = await ports.conversation.history(job, { signal, maxMessages: 20 });
    expect(history).toEqual([
      { role: 'user', content: 'remember the number 7', name: 'alice' },
      { role: 'assistant', content: 'Noted: 7.' },
    ]);
  });

  it("reads a thread the bot started, led by the message it grew from", async () => {
    const starter = fake.userSays({ content: 'Plan a trip to Kyoto', mentionBot: true });
    const thread = fake.state.startThread(starter, 'Plan a trip', 1440, fake.bot);
    botReply(thread.id, 'Day 1: temples.');
    fake.userSays({ content: 'More food please', channelId: thread.id, author: fake.bob });
    botReply(thread.id, 'Day 2: Nishiki market.');
    const trigger = fake.userSays({ content: 'And day 3?', channelId: thread.id });
    const placeholder = botReply(thread.id, '⏳ Thinking…');

    const job = discordJob(fake, { channelId: fake.channel.id, threadId: thread.id, messageId: trigger.id, placeholder: { id: placeholder.id, channelId: thread.id } });
    const history = await ports.conversation.history(job, { signal, maxMessages: 20 });
    expect(history).toEqual([
      { role: 'user', content: 'Plan a trip to Kyoto', name: 'alice' },
      { role: 'assistant', content: 'Day 1: temples.' },
      { role: 'user', content: 'More food please', name: 'bob' },
      { role: 'assistant', content: 'Day 2: Nishiki market.' },
    ]);
  });

  it('has no history for the first message of a new thread, nor for slash commands', async () => {
    const starter = fake.userSays({ content: 'hi', mentionBot: true });
    const thread = fake.state.startThread(starter, 'hi', 1440, fake.bot);
    const placeholder = botReply(thread.id, '⏳ Thinking…');
    const fresh = discordJob(fake, { threadId: thread.id, messageId: starter.id, placeholder: { id: placeholder.id, channelId: thread.id } });
    expect(await ports.conversation.history(fresh, { signal, maxMessages: 20 })).toEqual([]);
    expect(await ports.conversation.history(discordJob(fake, { fromCommand: true, messageId: starter.id }), { signal, maxMessages: 20 })).toEqual([]);
  });

  it('turns images into image parts and inlines text files up to the byte cap', async () => {
    const message = fake.userSays({
      content: 'look',
      mentionBot: true,
      attachments: [
        { filename: 'chart.png', contentType: 'image/png', body: Buffer.from([137, 80, 78, 71]) },
        { filename: 'log.txt', contentType: 'text/plain', body: 'line one\nline two\n' + 'x'.repeat(500) },
        { filename: 'archive.zip', contentType: 'application/zip', body: Buffer.from([80, 75]) },
      ],
    });
    const job = discordJob(fake, {
      messageId: message.id,
      attachments: message.attachments.map((file) => ({
        kind: file.content_type?.startsWith('image/') ? 'image' : file.content_type === 'text/plain' ? 'text' : 'file',
        name: file.filename,
        url: file.url,
        mediaType: file.content_type,
        sizeBytes: file.size,
      })),
    });
    const parts = await ports.conversation.attachments!(job, { signal, maxTextBytes: 100 });
    expect(parts[0]).toEqual({ type: 'image', url: message.attachments[0]?.url, mediaType: 'image/png' });
    expect(parts[1]?.type).toBe('text');
    const text = parts[1]?.type === 'text' ? parts[1].text : '';
    expect(text).toContain('Attached file log.txt');
    expect(text).toContain('line one\nline two');
    expect(text).toContain('[truncated after 100 bytes]');
    expect(parts[2]).toEqual({ type: 'text', text: '[Attached file archive.zip (application/zip, 2 bytes) was not read]' });
  });

  it('reads no attachment from a loopback or foreign host, even with loopback allowlisted, and says so to the model', async () => {
    const elsewhere = await startFileServer(streamBody(20));
    try {
      const attachments: Attachment[] = [
        { kind: 'text', name: 'secret.txt', url: `${elsewhere.origin}/secret.txt`, mediaType: 'text/plain', sizeBytes: 20 },
        { kind: 'image', name: 'inside.png', url: `${elsewhere.origin}/inside.png`, mediaType: 'image/png', sizeBytes: 4 },
        { kind: 'text', name: 'notes.txt', url: 'https://files.example.net/notes.txt', mediaType: 'text/plain', sizeBytes: 20 },
        { kind: 'text', name: 'plain.txt', url: 'http://cdn.discordapp.com/attachments/1/2/plain.txt', mediaType: 'text/plain', sizeBytes: 20 },
      ];
      const parts = await ports.conversation.attachments!(discordJob(fake, { attachments }), { signal, maxTextBytes: 1_000 });
      expect(parts).toEqual([
        { type: 'text', text: "[Attached file secret.txt was not read: it is not on Discord's file host]" },
        { type: 'text', text: "[Attached file inside.png was not read: it is not on Discord's file host]" },
        { type: 'text', text: "[Attached file notes.txt was not read: it is not on Discord's file host]" },
        { type: 'text', text: "[Attached file plain.txt was not read: it is not on Discord's file host]" },
      ]);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.stop();
    }
  });
});

describe('attachment downloads from a trusted file host', () => {
  let host: FileServer | undefined;
  afterEach(async () => {
    await host?.stop();
    host = undefined;
  });

  function readerFor(server: FileServer, maxFileBytes = 1_000) {
    return new DiscordConversationReader({
      rest: createDiscordRest(discordConfig(fake, testRedisUrl(), prefix)),
      log: silentLogger(),
      botUserId: async () => fake.bot.id,
      fileOrigins: [server.origin],
      addressAllowlist: ['127.0.0.1'],
      maxFileBytes,
    });
  }

  const textFile = (url: string): Attachment => ({ kind: 'text', name: 'big.log', url, mediaType: 'text/plain' });

  it('refuses a file whose Content-Length is over the cap before reading any of its body', async () => {
    host = await startFileServer(declareOnly(50_000_000));
    const parts = await readerFor(host).attachments(discordJob(fake, { attachments: [textFile(`${host.origin}/big.log`)] }), { signal, maxTextBytes: 100 });
    expect(parts).toEqual([{ type: 'text', text: '[Attached file big.log was not read: it is larger than 1000 bytes]' }]);
    expect(host.requests).toHaveLength(1);
    expect(host.bodyBytesSent).toBe(0);
  });

  it('reads only the head of a file that declares no length, and hangs up on the rest', async () => {
    host = await startFileServer(streamBody(1_000_000, { declare: false }));
    const parts = await readerFor(host, 10_000_000).attachments(discordJob(fake, { attachments: [textFile(`${host.origin}/endless.log`)] }), { signal, maxTextBytes: 100 });
    expect(parts).toEqual([{ type: 'text', text: `Attached file big.log:\n\`\`\`\n${'a'.repeat(100)}\n\`\`\`\n[truncated after 100 bytes]` }]);
    await fake.waitFor(() => host!.closedResponses === 1, 'the download to hang up');
    expect(host.bodyBytesSent).toBeLessThan(1_000_000);
  });

  it('does not follow a redirect off the trusted host', async () => {
    const elsewhere = await startFileServer(streamBody(20));
    try {
      host = await startFileServer((_request, response) => response.writeHead(302, { location: `${elsewhere.origin}/secret.txt` }).end());
      const parts = await readerFor(host).attachments(discordJob(fake, { attachments: [textFile(`${host.origin}/moved.log`)] }), { signal, maxTextBytes: 100 });
      expect(parts).toEqual([{ type: 'text', text: '[Attached file big.log was not read: its address may not be reached]' }]);
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await elsewhere.stop();
    }
  });
});

describe('an attachment from elsewhere in a real conversation', () => {
  it('is skipped with a note, never requested, and the answer still comes', async () => {
    const elsewhere = await startFileServer(streamBody(20));
    const stack = await startDiscordStack({ env: { FETCH_URL_ALLOWLIST: '127.0.0.1' } });
    try {
      const answer = 'I could not open that file, but here is what I know.';
      stack.pipeline.fakeOfox.enqueue(reply(answer));
      const url = `${elsewhere.origin}/secret.txt`;
      const question = stack.fake.state.createMessage(
        stack.fake.channel.id,
        stack.fake.alice,
        { content: `<@${stack.fake.bot.id}> what does this say?` },
        { attachments: [{ id: '1', filename: 'secret.txt', size: 20, url, proxy_url: url, content_type: 'text/plain' }] },
      );
      const placeholder = await stack.fake.waitFor(
        () => stack.fake.botMessagesIn(stack.fake.channel.id).find((message) => message.message_reference?.message_id === question.id),
        'the placeholder',
      );
      await stack.fake.waitFor(() => stack.fake.message(placeholder.id)?.content === answer, 'the answer');
      expect(stack.pipeline.fakeOfox.requests.at(-1)?.lastUserText).toBe("alice: what does this say?\n[Attached file secret.txt was not read: it is not on Discord's file host]");
      expect(elsewhere.requests).toEqual([]);
    } finally {
      await stack.stop();
      await elsewhere.stop();
    }
  });
});
