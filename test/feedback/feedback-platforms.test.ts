import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RedisAnsweredThreads, RedisStreamStateStore, createSlackPorts, startSlackIngress, type SlackIngress } from '../../adapters/slack/index.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { jobIdFor } from '../../src/queue/chat-job.ts';
import { reply } from '../fakes/ofox/index.ts';
import { FakeSlack, SlackEventSender } from '../fakes/slack/index.ts';
import { startPipeline, type Pipeline } from '../helpers/pipeline.ts';
import { startDiscordStack, type DiscordStack } from '../discord/support/discord-stack.ts';
import { eventually } from '../slack/support.ts';
import { metricsRegistry } from '../../src/observability/metrics.ts';
import { parsePrometheusText, sampleValue } from '../observability/support/prometheus-text.ts';

/** The feedback series as scraped: votes that became current and votes withdrawn, per rating. */
async function feedbackSeries(platform: string): Promise<Record<string, number | undefined>> {
  const samples = parsePrometheusText(await metricsRegistry.metrics());
  const labels = (rating: string) => ({ platform, model: 'openai/gpt-4o-mini', persona: 'default', rating });
  return {
    up: sampleValue(samples, 'ofox_bot_feedback_votes_total', labels('up')),
    down: sampleValue(samples, 'ofox_bot_feedback_votes_total', labels('down')),
    upWithdrawn: sampleValue(samples, 'ofox_bot_feedback_votes_withdrawn_total', labels('up')),
    downWithdrawn: sampleValue(samples, 'ofox_bot_feedback_votes_withdrawn_total', labels('down')),
  };
}

/**
 * Feedback the whole way through: a real answer (worker records its model and persona), then
 * Slack's 👍 / 👎 buttons and Discord's 👍 / 👎 reactions, counted once per person per answer.
 */

describe('Slack feedback buttons', () => {
  const SECRET = 'feedback-secret';
  let slack: FakeSlack;
  let pipeline: Pipeline;
  let ingress: SlackIngress;
  let sender: SlackEventSender;

  afterEach(async () => {
    await ingress?.stop();
    await pipeline?.stop();
    await slack?.stop();
  });

  it('count once per person per answer, with the model and persona; pressing the other one replaces the vote', async () => {
    slack = await new FakeSlack().start();
    slack.addUser('UALICE', 'alice');
    pipeline = await startPipeline({
      env: { SLACK_BOT_TOKEN: slack.botToken, SLACK_SIGNING_SECRET: SECRET, SLACK_API_URL: slack.apiUrl, PORT: '0', OFOX_MODEL: 'openai/gpt-4o-mini' },
      ports: (core) => [createSlackPorts(core.config, silentLogger(), { streamStates: new RedisStreamStateStore(core.redis, { prefix: core.config.REDIS_KEY_PREFIX }) })],
    });
    ingress = await startSlackIngress(pipeline.config, pipeline.services, silentLogger(), { port: 0, answeredThreads: new RedisAnsweredThreads(pipeline.core.redis, { prefix: pipeline.config.REDIS_KEY_PREFIX }) });
    sender = new SlackEventSender({ url: `http://127.0.0.1:${ingress.port}/slack/events`, signingSecret: SECRET, slack });
    pipeline.fakeOfox.enqueue(reply('An answer.'));
    const sent = await sender.appMention({ channel: 'C1', user: 'UALICE', text: `<@${slack.botUserId}> hi` });
    const jobId = jobIdFor('slack', sent.eventId!);
    expect((await pipeline.waitForJob(jobId, 15_000))?.outcome).toBe('complete');
    const team = slack.teamId;
    const click = (actionId: string, user: string) => sender.blockAction({ actionId, value: jobId, user, channel: 'C1', messageTs: sent.ts, threadTs: sent.ts });

    await click('ofox_feedback_up', 'UALICE');
    await click('ofox_feedback_up', 'UALICE');
    await eventually(() => slack.workspace.ephemerals.length === 2);
    expect(await pipeline.core.feedback.totals({ platform: 'slack', workspaceId: team })).toEqual([{ model: 'openai/gpt-4o-mini', persona: 'default', up: 1, down: 0 }]);
    expect(slack.workspace.ephemerals.map((note) => note.text)).toEqual(['Thanks for the feedback.', 'You already gave this feedback on this answer.']);

    await click('ofox_feedback_down', 'UALICE');
    await eventually(() => slack.workspace.ephemerals.length === 3);
    expect(slack.workspace.ephemerals[2]!.text).toBe('Thanks — your feedback on this answer is updated.');
    expect(await pipeline.core.feedback.totals({ platform: 'slack', workspaceId: team })).toEqual([{ model: 'openai/gpt-4o-mini', persona: 'default', up: 0, down: 1 }]);
    // The repeat counted nothing; the change counted 👎 and took 👍 back: net 0 up, 1 down.
    expect(await feedbackSeries('slack')).toEqual({ up: 1, down: 1, upWithdrawn: 1, downWithdrawn: undefined });
  });
});

describe('Discord feedback reactions', () => {
  let stack: DiscordStack;
  beforeAll(async () => {
    stack = await startDiscordStack({ env: { OFOX_MODEL: 'openai/gpt-4o-mini' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('count once per person per answer; switching replaces, removing withdraws, other emoji and other messages are ignored', async () => {
    const { fake, pipeline } = stack;
    pipeline.fakeOfox.enqueue(reply('A Discord answer.'));
    const asked = fake.userSays({ content: 'hello', mentionBot: true });
    const result = await pipeline.waitForJob(jobIdFor('discord', asked.id), 15_000);
    expect(result?.outcome).toBe('complete');
    const answerId = result!.messages[0]!.id;
    const guildId = fake.guild.id;
    const totals = () => pipeline.core.feedback.totals({ platform: 'discord', workspaceId: guildId });
    const expectTotals = (up: number, down: number) => eventually(async () => JSON.stringify(await totals()) === JSON.stringify([{ model: 'openai/gpt-4o-mini', persona: 'default', up, down }]));

    fake.react({ messageId: answerId, emoji: '👍' });
    await expectTotals(1, 0);
    fake.react({ messageId: answerId, emoji: '👍' });
    fake.react({ messageId: answerId, emoji: '🎉' });
    fake.react({ messageId: asked.id, emoji: '👎' });
    fake.react({ messageId: answerId, emoji: '👎', user: fake.bob });
    await expectTotals(1, 1);
    fake.react({ messageId: answerId, emoji: '👎' });
    await expectTotals(0, 2);
    fake.react({ messageId: answerId, emoji: '👎', user: fake.bob, remove: true });
    await expectTotals(0, 1);
    // Alice: 👍 then 👎 (one change); Bob: 👎 then removed. Net per rating: 👍 1 - 1 = 0, 👎 2 - 1 = 1.
    expect(await feedbackSeries('discord')).toEqual({ up: 1, down: 2, upWithdrawn: 1, downWithdrawn: 1 });
  });
});
