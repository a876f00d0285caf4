import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RedisAnsweredThreads, RedisStreamStateStore, createSlackPorts, startSlackIngress, type SlackIngress } from '../../adapters/slack/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import { finish, reply, toolCall } from '../fakes/ofox/index.ts';
import { FakeSlack, SlackEventSender } from '../fakes/slack/index.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';

/** The image tool through the real worker: the model calls it, the file lands in the thread once, the tool line names it. */

const SECRET = 'image-e2e-secret';
let slack: FakeSlack;
let pipeline: Pipeline;
let ingress: SlackIngress;

afterEach(async () => {
  await ingress?.stop();
  await pipeline?.stop();
  await slack?.stop();
});

describe('the image tool in an answer', () => {
  it('uploads the image into the answer’s thread once, with the channel’s image model, tells the model its name and shows it in the tool line', async () => {
    slack = await new FakeSlack().start();
    slack.addUser('UALICE', 'alice');
    const file = join(mkdtempSync(join(tmpdir(), 'ofox-image-')), 'ofox-bot.config.yaml');
    writeFileSync(file, 'tools:\n  image:\n    enabledByDefault: true\n');
    pipeline = await startPipeline({
      env: { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', OFOX_BOT_CONFIG: file },
      ports: (core) => [createSlackPorts(core.config, silentLogger(), { streamStates: new RedisStreamStateStore(core.redis, { prefix: core.config.REDIS_KEY_PREFIX }) })],
    });
    await pipeline.core.settings.update({ platform: 'slack', workspaceId: slack.teamId, channelId: 'C1' }, 'channel', { imageModel: 'google/gemini-3.1-flash-image-preview' });
    ingress = await startSlackIngress(pipeline.config, pipeline.services, silentLogger(), { port: 0, answeredThreads: new RedisAnsweredThreads(pipeline.core.redis, { prefix: pipeline.config.REDIS_KEY_PREFIX }) });
    const sender = new SlackEventSender({ url: `http://127.0.0.1:${ingress.port}/slack/events`, signingSecret: SECRET, slack });
    pipeline.fakeOfox.enqueue([toolCall('image', { prompt: 'A cheerful fox mascot' }), finish('tool-calls')], reply('Here is the mascot.', { tokensPerSecond: 10 }));

    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> draw our mascot` });
    const result = await pipeline.waitForJob(jobIdFor('slack', sent.eventId!), 20_000);
    expect(result?.outcome).toBe('complete');

    const images = pipeline.fakeOfox.requests.filter((request) => request.path === '/v1/images/generations');
    expect(images.map((request) => request.body)).toEqual([{ model: 'google/gemini-3.1-flash-image-preview', prompt: 'A cheerful fox mascot', response_format: 'b64_json' }]);
    expect(slack.externalUploads).toHaveLength(1);
    const withFiles = slack.botReplies('C1', sent.ts).filter((message) => (message.files?.length ?? 0) > 0);
    expect(withFiles.map((message) => message.files!.map((uploaded) => uploaded.name))).toEqual([['a-cheerful-fox-mascot.png']]);
    // The model was told the file's name (the tool line shows the same result).
    const second = pipeline.fakeOfox.requests.filter((request) => request.path === '/v1/chat/completions')[1];
    const toolResults = ((second?.messages ?? []) as Array<{ role?: string; content?: unknown }>).filter((message) => message.role === 'tool').map((message) => String(message.content));
    expect(toolResults).toHaveLength(1);
    expect(toolResults[0]).toMatch(/^Uploaded image to the thread: a-cheerful-fox-mascot\.png \(https:\/\/fake\.slack\.test\/files\/F\w+\)\./);
    // The answer's tool line names the uploaded file, not the prompt.
    const answer = slack.botReplies('C1', sent.ts)[0]!;
    const toolLine = (answer.blocks ?? []).find((block) => block.block_id === 'ofox_tools') as { elements: Array<{ text: string }> } | undefined;
    expect(toolLine?.elements.map((element) => element.text.replace(/\d+ ms$/, 'N ms'))).toEqual(['✅ *image* `a-cheerful-fox-mascot.png` — done in N ms']);
  });
});
