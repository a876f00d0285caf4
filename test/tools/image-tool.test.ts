import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordPorts, type DiscordPorts } from '../../adapters/discord/index.ts';
import { createSlackPorts, type SlackPorts } from '../../adapters/slack/index.ts';
import { ImageClient, acceptsCount } from '../../src/llm/images.ts';
import { LlmError } from '../../src/llm/errors.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { chatJobSchema, type ChatJob } from '../../src/queue/chat-job.ts';
import { imageTool, RedisUploadLedger } from '../../src/tools/builtins/index.ts';
import type { Tool, ToolContext } from '../../src/tools/tool.ts';
import { TINY_PNG, refusedImage, startFakeOfox, type FakeOfox } from '../fakes/ofox/index.ts';
import { FakeSlack } from '../fakes/slack/index.ts';
import { FakeDiscord } from '../fakes/discord/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { discordConfig } from '../discord/support/discord-config.ts';
import { slackTestConfig } from '../slack/support.ts';

/**
 * The image tool with its real parts: our images client against the fake OfoxAI's images
 * endpoint, the Redis upload ledger, and each platform's real uploader against its fake
 * (Slack's three files.uploadV2 steps; Discord's multipart message).
 */

let ofox: FakeOfox;
let redis: Redis;
let prefix: string;

beforeAll(async () => {
  ofox = await startFakeOfox();
  redis = new Redis(testRedisUrl());
});

afterAll(async () => {
  await ofox.close();
  redis.disconnect();
});

beforeEach(() => {
  ofox.reset();
  prefix = newTestPrefix('image-tool');
});

afterEach(async () => {
  await deleteKeys(prefix);
});

function toolWith(options: { maxImageBytes?: number } = {}): Tool {
  return imageTool({
    client: { baseUrl: ofox.openaiBaseUrl, apiKey: ofox.apiKey },
    defaultModel: 'openai/gpt-image-2',
    ledger: new RedisUploadLedger({ redis, prefix }),
    ...options,
  });
}

function imageRequests() {
  return ofox.requests.filter((request) => request.path === '/v1/images/generations');
}

function contextFor(job: ChatJob, upload: ToolContext['upload'], extra: Partial<ToolContext> = {}): ToolContext {
  return { signal: new AbortController().signal, platform: job.platform, workspaceId: job.workspaceId, channelId: job.channelId, userId: job.userId, jobId: `${job.platform}-${job.eventId}`, callId: 'call_1', ...(upload ? { upload } : {}), ...extra };
}

function jobFor(platform: string, channelId: string, threadId?: string): ChatJob {
  return chatJobSchema.parse({ v: 1, eventId: 'Ev1', platform, workspaceId: 'W1', channelId, ...(threadId ? { threadId } : {}), userId: 'U1', prompt: 'draw', createdAt: Date.now() });
}

describe('images client', () => {
  it('asks for b64_json, sends n except to Gemini image models, and decodes the image', async () => {
    const client = new ImageClient({ baseUrl: ofox.openaiBaseUrl, apiKey: ofox.apiKey });
    const [image] = await client.generate({ model: 'openai/gpt-image-2', prompt: 'a cat', size: '1024x1024' });
    await client.generate({ model: 'google/gemini-3.1-flash-image-preview', prompt: 'a dog', n: 2 });
    expect(image!.bytes.equals(TINY_PNG)).toBe(true);
    expect(image!.mediaType).toBe('image/png');
    expect(imageRequests().map((request) => request.body)).toEqual([
      { model: 'openai/gpt-image-2', prompt: 'a cat', response_format: 'b64_json', size: '1024x1024', n: 1 },
      { model: 'google/gemini-3.1-flash-image-preview', prompt: 'a dog', response_format: 'b64_json' },
    ]);
    expect(imageRequests().every((request) => request.authorized)).toBe(true);
    expect(acceptsCount('google/gemini-3.1-flash-image-preview')).toBe(false);
  });

  it('names a content-policy refusal and other failures readably, without the key', async () => {
    const client = new ImageClient({ baseUrl: ofox.openaiBaseUrl, apiKey: ofox.apiKey });
    ofox.enqueueImages(refusedImage(), { status: 500, error: { message: `upstream exploded with ${ofox.apiKey}` } });
    const refused = await client.generate({ model: 'openai/gpt-image-2', prompt: 'x' }).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(LlmError);
    expect((refused as LlmError).kind).toBe('refused');
    expect((refused as LlmError).retryable).toBe(false);
    expect((refused as LlmError).status).toBe(400);
    expect((refused as Error).message).toBe('the image model refused this prompt: Your request was rejected as a result of our safety system (content_policy_violation). — content_policy_violation — invalid_request_error');
    const failed = (await client.generate({ model: 'openai/gpt-image-2', prompt: 'x' }).catch((error: unknown) => error)) as LlmError;
    expect(failed).toBeInstanceOf(LlmError);
    expect(failed.kind).toBe('server');
    expect(failed.retryable).toBe(true);
    expect(failed.message).toBe("OfoxAI's images endpoint answered 500: upstream exploded with [redacted] — api_error");
    ofox.enqueueImages({ status: 401, error: { message: 'invalid key' } });
    const auth = (await client.generate({ model: 'openai/gpt-image-2', prompt: 'x' }).catch((error: unknown) => error)) as LlmError;
    expect([auth.kind, auth.status, auth.message]).toEqual(['auth', 401, 'OfoxAI refused the API key for images']);
  });
});

describe('the image tool on Slack (files.uploadV2)', () => {
  let slack: FakeSlack;
  let ports: SlackPorts;
  beforeEach(async () => {
    slack = await new FakeSlack().start();
    ports = createSlackPorts(slackTestConfig(slack), silentLogger());
  });
  afterEach(async () => {
    await ports.close();
    await slack.stop();
  });

  it('generates and uploads once into the thread, also when the job runs the call again (a worker killed after the upload)', async () => {
    const tool = toolWith();
    const job = jobFor('slack', 'C1', '1700000000.000100');
    const upload: ToolContext['upload'] = (file, signal) => ports.files!.upload(job, file, signal);
    const first = await tool.run({ prompt: 'A system diagram of the bot' }, contextFor(job, upload));
    // The retried job: same job and tool call id.
    const again = await tool.run({ prompt: 'A system diagram of the bot' }, contextFor(job, upload));
    // The retried job asked the model again, which named its call anew but kept the prompt.
    const renamed = await tool.run({ prompt: 'a system   diagram of the bot' }, contextFor(job, upload, { callId: 'call_9' }));

    expect(imageRequests()).toHaveLength(1);
    expect(slack.callsTo('files.getUploadURLExternal').map((call) => [call.args.filename, Number(call.args.length)])).toEqual([['a-system-diagram-of-the-bot.png', TINY_PNG.length]]);
    expect(slack.externalUploads).toHaveLength(1);
    expect(slack.callsTo('files.completeUploadExternal').map((call) => [call.args.channel_id, call.args.thread_ts])).toEqual([['C1', '1700000000.000100']]);
    const posted = slack.botReplies('C1', '1700000000.000100');
    expect(posted.map((message) => message.files?.map((file) => file.name))).toEqual([['a-system-diagram-of-the-bot.png']]);
    expect(posted[0]!.files![0]!.content.equals(TINY_PNG)).toBe(true);
    const fileId = posted[0]!.files![0]!.id;
    // The model reads where the file is; the tool line names the file.
    expect(first).toEqual({
      output: `Uploaded image to the thread: a-system-diagram-of-the-bot.png (https://fake.slack.test/files/${fileId}). The user can see it already; do not paste links or data for it. (model: openai/gpt-image-2)`,
      produced: 'a-system-diagram-of-the-bot.png',
    });
    expect(again).toEqual({
      output: `Uploaded image to the thread: a-system-diagram-of-the-bot.png (https://fake.slack.test/files/${fileId}). The user can see it already; do not paste links or data for it.`,
      produced: 'a-system-diagram-of-the-bot.png',
    });
    expect(renamed).toEqual(again);
  });

  it('ends a refused prompt with a readable result and uploads nothing', async () => {
    ofox.enqueueImages(refusedImage());
    const job = jobFor('slack', 'C1', '1700000000.000200');
    const result = await toolWith().run({ prompt: 'something not allowed' }, contextFor(job, (file, signal) => ports.files!.upload(job, file, signal)));
    expect(result).toBe(
      'No image: the image model refused this prompt: Your request was rejected as a result of our safety system (content_policy_violation). — content_policy_violation — invalid_request_error. Tell the user the request was declined and suggest rephrasing; do not retry the same prompt.',
    );
    expect(slack.callsTo('files.getUploadURLExternal')).toHaveLength(0);
  });

  it('uses the channel’s image model, caps size and count, and says so when it cannot upload', async () => {
    const job = jobFor('slack', 'C1', '1700000000.000300');
    const upload: ToolContext['upload'] = (file, signal) => ports.files!.upload(job, file, signal);
    await toolWith().run({ prompt: 'two logos', count: 2 }, contextFor(job, upload, { imageModel: 'google/gemini-3.1-flash-image-preview' }));
    expect(imageRequests()[0]!.body).toEqual({ model: 'google/gemini-3.1-flash-image-preview', prompt: 'two logos', response_format: 'b64_json' });
    expect(toolWith().validate({ prompt: 'three logos', count: 3 }).ok).toBe(false);
    await expect(toolWith({ maxImageBytes: 10 }).run({ prompt: 'a big one' }, contextFor(job, upload, { callId: 'call_2' }))).rejects.toThrow('the generated image was larger than 0 MiB, so it was not uploaded');
    await expect(toolWith().run({ prompt: 'nowhere to put it' }, contextFor(job, undefined))).rejects.toThrow('this chat platform cannot receive files from the bot, so no image was made');
  });
});

describe('the image tool on Discord (multipart attachment)', () => {
  let fake: FakeDiscord;
  let ports: DiscordPorts;
  beforeEach(async () => {
    fake = await FakeDiscord.start();
    ports = createDiscordPorts(discordConfig(fake, testRedisUrl(), prefix), silentLogger(), { redis });
  });
  afterEach(async () => {
    await ports.close();
    await fake.stop();
  });

  it('posts one message with the image attached, once per job and tool call', async () => {
    const job = jobFor('discord', fake.channel.id);
    const upload: ToolContext['upload'] = (file, signal) => ports.files!.upload(job, file, signal);
    const first = await toolWith().run({ prompt: 'A mock-up of the settings page' }, contextFor(job, upload));
    await toolWith().run({ prompt: 'A mock-up of the settings page' }, contextFor(job, upload));
    const posted = fake.botMessagesIn(fake.channel.id);
    expect(posted.map((message) => message.attachments.map((attachment) => [attachment.filename, attachment.size, attachment.content_type]))).toEqual([
      [['a-mock-up-of-the-settings-page.png', TINY_PNG.length, 'image/png']],
    ]);
    expect(posted[0]!.content).toBe('🖼️ A mock-up of the settings page');
    expect(typeof first === 'string' ? first : first.output).toContain('Uploaded image to the thread: a-mock-up-of-the-settings-page.png (');
    expect(typeof first === 'string' ? undefined : first.produced).toBe('a-mock-up-of-the-settings-page.png');
    expect(imageRequests()).toHaveLength(1);
  });
});
