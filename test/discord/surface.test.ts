import { randomUUID } from 'node:crypto';
import { Routes } from 'discord.js';
import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createDiscordPorts, DEFAULT_DISCORD_LIMITS, DiscordRejectedError, DiscordSurface, InteractionTokenStore, type DiscordPorts } from '../../adapters/discord/index.ts';
import { DiscordMessages } from '../../adapters/discord/messages.ts';
import { RateLimitObserver } from '../../adapters/discord/rate-limit-observer.ts';
import { createDiscordRest } from '../../adapters/discord/rest.ts';
import { silentLogger } from '../../src/observability/index.ts';
import { jobIdFor, type ChatJob } from '../../src/queue/chat-job.ts';
import { sendWithGrant } from '../../src/render/grant-scope.ts';
import { LocalWritePacer, RedisWritePacer, shareTransportPacer, splitForLimit, SurfaceMessageGoneError, SurfaceRateLimitedError, systemClock, type PlannedWrite, type WritePacer } from '../../src/render/index.ts';
import { FakeDiscord, type FakeDiscordOptions, type RecordedRequest } from '../fakes/discord/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';
import { discordConfig } from './support/discord-config.ts';
import { deferInteraction, discordJob } from './support/jobs.ts';

const BOT_BUDGET = { key: 'discord:global', limit: 45, windowMs: 1_000, kind: 'window' };

let fake: FakeDiscord;
let redis: Redis;
let prefix: string;
const opened: DiscordPorts[] = [];
const cleanups: (() => void)[] = [];

async function setup(options: FakeDiscordOptions = {}): Promise<DiscordPorts> {
  fake = await FakeDiscord.start(options);
  return openPorts();
}

function openPorts(): DiscordPorts {
  const ports = createDiscordPorts(discordConfig(fake, testRedisUrl(), prefix), silentLogger(), { redis });
  opened.push(ports);
  return ports;
}

beforeEach(() => {
  prefix = newTestPrefix('discord-surface');
  redis = new Redis(testRedisUrl());
});

afterEach(async () => {
  for (const ports of opened.splice(0)) await ports.close();
  for (const cleanup of cleanups.splice(0)) cleanup();
  await fake.stop();
  redis.disconnect();
  await deleteKeys(prefix);
});

/** A surface whose REST client gives up on an answer after `timeoutMs`, then resends once. */
function impatientSurface(job: ChatJob, timeoutMs: number): DiscordSurface {
  const config = discordConfig(fake, testRedisUrl(), prefix);
  const rest = createDiscordRest(config, { timeout: timeoutMs });
  const messages = new DiscordMessages({ rest, applicationId: fake.applicationId, tokens: new InteractionTokenStore({ redis, prefix }) });
  cleanups.push(() => {
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  });
  return new DiscordSurface(job, { messages, rateLimits: new RateLimitObserver(rest), log: silentLogger(), limits: DEFAULT_DISCORD_LIMITS });
}

function nonceOf(request: RecordedRequest | undefined): unknown {
  return (request?.body as { nonce?: unknown } | undefined)?.nonce;
}

describe('discord surface', () => {
  it('posts one message when the REST client resends a create whose answer timed out', async () => {
    await setup();
    const surface = impatientSurface(discordJob(fake), 300);
    fake.delayNextAnswers(1, 1_000);
    const ref = await surface.create('part one', { controls: { kind: 'stop', jobId: 'job-1' } });

    const posts = fake.requestsTo('POST', new RegExp(`^/channels/${fake.channel.id}/messages$`));
    expect(posts).toHaveLength(2);
    expect(fake.botMessagesIn(fake.channel.id).map((message) => message.id)).toEqual([ref.id]);
    expect(fake.message(ref.id)?.content).toBe('part one');
    for (const post of posts) expect(post.body).toMatchObject({ nonce: nonceOf(posts[0]), enforce_nonce: true, allowed_mentions: { parse: [] } });
  });

  it('keeps a nonce until its create succeeds, and gives every part its own', async () => {
    const ports = await setup();
    const job = discordJob(fake);
    const surface = ports.surfaceFor(job);
    fake.rateLimitNext(1);
    await expect(surface.create('part one')).rejects.toBeInstanceOf(SurfaceRateLimitedError);
    const first = await surface.create('part one');
    const second = await surface.create('part two');
    const nonces = fake.requestsTo('POST', /^\/channels\/\d+\/messages$/).map(nonceOf);
    expect(nonces).toHaveLength(3);
    expect(nonces[1]).toBe(nonces[0]);
    expect(nonces[2]).not.toBe(nonces[1]);
    for (const nonce of nonces) expect(String(nonce).length).toBeLessThanOrEqual(25);
    expect(first.id).not.toBe(second.id);
    // A retried job starts after the parts it recorded: its next part's nonce is new, not part one's.
    const retried = ports.surfaceFor({ ...job, placeholder: first, continuations: [second] });
    await retried.create('part three');
    expect(new Set(fake.requestsTo('POST', /^\/channels\/\d+\/messages$/).map(nonceOf)).size).toBe(3);
    expect(fake.botMessagesIn(fake.channel.id)).toHaveLength(3);
  });

  it('sends allowed_mentions with nothing to parse on every create and every edit', async () => {
    const ports = await setup();
    const surface = ports.surfaceFor(discordJob(fake));
    const ref = await surface.create('Hello <@' + fake.bob.id + '>', { controls: { kind: 'stop', jobId: 'job-1' } });
    await surface.edit(ref, 'Hello @everyone and @here', { controls: { kind: 'stop', jobId: 'job-1' } });
    await surface.edit(ref, 'Hello <@&' + fake.adminRole.id + '>', { final: true });

    const writes = fake.messageWrites();
    expect(writes).toHaveLength(3);
    for (const write of writes) expect(write.allowedMentions).toEqual({ parse: [] });
    expect(fake.pingsOf(ref.id)).toEqual({ everyone: false, users: [], roles: [] });
  });

  it("defuses @everyone in the model's text even without allowed_mentions", async () => {
    const ports = await setup();
    const surface = ports.surfaceFor(discordJob(fake));
    const ref = await surface.create('@everyone look @here');
    const content = fake.message(ref.id)?.content ?? '';
    expect(content).not.toMatch(/@(everyone|here)/);
    expect(content.replace(/\u200b/g, '')).toBe('@everyone look @here');
  });

  it('shows a Stop button while streaming and removes it on the final write', async () => {
    const ports = await setup();
    const surface = ports.surfaceFor(discordJob(fake));
    const ref = await surface.create('partial', { controls: { kind: 'stop', jobId: 'discord-123' } });
    expect(fake.buttonsOf(ref.id)).toEqual(['ofox:stop:discord-123']);
    await surface.edit(ref, 'more');
    expect(fake.buttonsOf(ref.id)).toEqual(['ofox:stop:discord-123']);
    await surface.edit(ref, 'done', { controls: { kind: 'stop', jobId: 'discord-123' }, final: true });
    expect(fake.buttonsOf(ref.id)).toEqual([]);
    expect(fake.message(ref.id)?.content).toBe('done');
  });

  it("maps Discord's 400 for an over-long message to a clear, permanent error", async () => {
    const ports = await setup();
    const surface = ports.surfaceFor(discordJob(fake));
    const ref = await surface.create('short');
    const error = await surface.edit(ref, 'x'.repeat(2001)).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DiscordRejectedError);
    expect((error as DiscordRejectedError).message).toMatch(/content: Must be 2000 or fewer in length/);
    expect((error as DiscordRejectedError).permanent).toBe(true);
    expect(surface.limits.maxChars).toBe(2000);
  });

  it('posts every piece the renderer splits off without a single 4xx', async () => {
    const ports = await setup({ rateLimits: { messageCreate: false } });
    const surface = ports.surfaceFor(discordJob(fake));
    const code = '```ts\n' + Array.from({ length: 120 }, (_, index) => `const value${index} = ${index}; // @everyone`).join('\n') + '\n```';
    const prose = Array.from({ length: 900 }, (_, index) => `word${index}`).join(' ');
    const pieces = splitForLimit(`${prose}\n\n${code}\n\n${prose}`, surface.limits.maxChars);
    expect(pieces.length).toBeGreaterThan(3);
    for (const piece of pieces) await surface.create(piece);
    expect(fake.clientErrorCount).toBe(0);
    const posted = fake.botMessagesIn(fake.channel.id);
    expect(posted).toHaveLength(pieces.length);
    for (const message of posted) expect(message.content.length).toBeLessThanOrEqual(2000);
    // each part replies to the previous one, so the reply chain holds the whole answer
    expect(posted[2]?.message_reference?.message_id).toBe(posted[1]?.id);
  });

  it('turns a 429 into SurfaceRateLimitedError with retryAfterMs instead of waiting', async () => {
    const ports = await setup({ rateLimits: { messageEdit: { limit: 2, windowMs: 3000 } } });
    const job = discordJob(fake);
    const first = ports.surfaceFor(job);
    const ref = await first.create('start');
    await first.edit(ref, 'one');
    await first.edit(ref, 'two');

    // A second worker process has not seen the headers yet: it gets Discord's real 429.
    const other = openPorts().surfaceFor(job);
    const started = Date.now();
    const error = await other.edit(ref, 'three').catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SurfaceRateLimitedError);
    expect((error as SurfaceRateLimitedError).retryAfterMs).toBeGreaterThan(0);
    expect((error as SurfaceRateLimitedError).retryAfterMs).toBeLessThanOrEqual(3100);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(fake.rateLimitedCount).toBe(1);
    const body = fake.requests.find((request) => request.status === 429);
    expect(body).toBeDefined();
    // The channel's limit refused it: the renderer holds off the channel's budget, not the bot's.
    expect((error as SurfaceRateLimitedError).budgetKeys).toEqual([`discord:${fake.channel.id}:messages`]);

    // The first worker read X-RateLimit-Remaining: 0 and refuses before asking Discord at all.
    const early = await first.edit(ref, 'four').catch((caught: unknown) => caught);
    expect(early).toBeInstanceOf(SurfaceRateLimitedError);
    expect(fake.rateLimitedCount).toBe(1);
    expect(fake.message(ref.id)?.content).toBe('two');
  });

  it("learns the channel's budgets from Discord's rate-limit headers, and which routes share a bucket", async () => {
    const ports = await setup({ rateLimits: { messageEdit: { limit: 3, windowMs: 2000 } } });
    const surface = ports.surfaceFor(discordJob(fake));
    const channel = fake.channel.id;
    // Before any header: creates and edits share the documented 5 per 5 s; the bot's budget comes with it.
    expect(surface.budgetsFor?.({ kind: 'create', final: false })).toEqual([{ key: `discord:${channel}:messages`, limit: 5, windowMs: 5_000, kind: 'window' }, BOT_BUDGET]);
    const ref = await surface.create('a');
    await surface.edit(ref, 'b');
    // This fake answers creates and edits from different buckets, each with its own size and window.
    expect(surface.budgetsFor?.({ kind: 'edit', ref, final: false })).toEqual([{ key: `discord:${channel}:edit`, limit: 3, windowMs: 2_000, kind: 'window' }, BOT_BUDGET]);
    expect(surface.budgetsFor?.({ kind: 'create', final: false })).toEqual([{ key: `discord:${channel}:create`, limit: 5, windowMs: 5_000, kind: 'window' }, BOT_BUDGET]);
    expect(surface.limits).toEqual({ maxChars: 2_000, minEditIntervalMs: 500 });
  });

  it("sends a channel write on the renderer's grant (channel and bot in one), drawing the bot's token for other requests only", async () => {
    const ports = await setup();
    const drawn: string[][] = [];
    const confirmed: string[][] = [];
    const local = new LocalWritePacer();
    const keys = (budgets: readonly { key: string }[]) => budgets.map((budget) => budget.key);
    const pacer: WritePacer = {
      acquire: (request) => {
        drawn.push(keys(request.budgets));
        return local.acquire(request);
      },
      sendingNow: (request, heldMs) => {
        confirmed.push(keys(request.budgets));
        return local.sendingNow(request, heldMs);
      },
      withdraw: (ticket, budgets) => local.withdraw(ticket, budgets),
      tryReserveNow: (budgets, options) => local.tryReserveNow(budgets, options),
      holdOff: (budgets, delayMs) => local.holdOff(budgets, delayMs),
    };
    shareTransportPacer(pacer);
    cleanups.push(() => shareTransportPacer(undefined));
    const surface = ports.surfaceFor(discordJob(fake));
    // As the renderer writes: granted the surface's budgets (the channel's and the bot's), then sent inside the grant.
    const granted = async <T>(write: PlannedWrite, call: () => Promise<T>): Promise<T> => {
      const request = { budgets: surface.budgetsFor!(write), writeClass: 'final' as const, ticket: randomUUID() };
      expect(await local.acquire(request)).toBe(0);
      return sendWithGrant({ pacer, request, grantedAt: systemClock.now(), clock: systemClock }, call);
    };
    const ref = await granted({ kind: 'create', final: false }, () => surface.create('a'));
    await granted({ kind: 'edit', ref, final: false }, () => surface.edit(ref, 'b'));
    expect(drawn).toEqual([]);
    expect(confirmed).toEqual([
      [`discord:${fake.channel.id}:messages`, 'discord:global'],
      [`discord:${fake.channel.id}:messages`, 'discord:global'],
    ]);
    // A request outside a grant (a context read, a write not paced by the renderer) draws the bot's token in the client.
    await surface.edit(ref, 'c');
    const rest = createDiscordRest(discordConfig(fake, testRedisUrl(), prefix));
    cleanups.push(() => {
      rest.clearHashSweeper();
      rest.clearHandlerSweeper();
    });
    await rest.get(Routes.channelMessage(fake.channel.id, ref.id));
    expect(drawn).toEqual([['discord:global'], ['discord:global']]);
  });

  it("moves a write's tokens to when it leaves, when it waited in discord.js's queue behind another request of its channel", async () => {
    const ports = await setup();
    const pacer = new RedisWritePacer({ redis, prefix, timeoutMs: 5_000 });
    const surface = ports.surfaceFor(discordJob(fake));
    const budgets = surface.budgetsFor!({ kind: 'create', final: false });
    // Two answers' first texts granted at once; Discord takes 400 ms to answer the first, and
    // discord.js sends the second only then.
    const grants = [];
    for (const ticket of ['first', 'second']) {
      const request = { budgets, writeClass: 'first-text' as const, ticket };
      expect(await pacer.acquire(request)).toBe(0);
      grants.push({ pacer, request, grantedAt: systemClock.now(), clock: systemClock });
    }
    const stamped = async (key: string) => ((await redis.get(pacer.keyFor(key))) ?? '').split(' ').slice(5).map(Number);
    const atGrant = await stamped(budgets[0]!.key);
    fake.delayNextAnswers(1, 400);
    await Promise.all(grants.map((grant, index) => sendWithGrant(grant, () => surface.create(`answer ${index}`))));

    const creates = fake.requests.filter((request) => request.method === 'POST' && request.path === `/channels/${fake.channel.id}/messages`);
    expect(creates.map((request) => request.status)).toEqual([200, 200]);
    expect(creates[1]!.at - creates[0]!.at).toBeGreaterThanOrEqual(350);
    expect(atGrant).toHaveLength(2);
    for (const budget of budgets) {
      const log = await stamped(budget.key);
      // Each write counts from about when it reached Discord: the second from 400 ms after its grant, not from the grant.
      expect(log).toHaveLength(2);
      for (const [index, create] of creates.entries()) expect(Math.abs(log[index]! - create.at)).toBeLessThan(100);
    }
  });

  it('counts creates and edits of a channel in one budget when Discord names one bucket for both', async () => {
    const ports = await setup({ rateLimits: { messageCreate: { limit: 4, windowMs: 3000 }, messageEdit: { limit: 4, windowMs: 3000 } } });
    const surface = ports.surfaceFor(discordJob(fake));
    const ref = await surface.create('a');
    await surface.edit(ref, 'b');
    const key = `discord:${fake.channel.id}:messages`;
    expect(surface.budgetsFor?.({ kind: 'edit', ref, final: true })?.[0]).toEqual({ key, limit: 4, windowMs: 3_000, kind: 'window' });
    expect(surface.budgetsFor?.({ kind: 'create', final: false })?.[0]).toEqual({ key, limit: 4, windowMs: 3_000, kind: 'window' });
  });

  it('reaches the API when DISCORD_API_URL already ends in a version', async () => {
    fake = await FakeDiscord.start();
    const ports = createDiscordPorts(discordConfig(fake, testRedisUrl(), prefix, { DISCORD_API_URL: `${fake.apiUrl}/v10/` }), silentLogger(), { redis });
    opened.push(ports);
    const ref = await ports.surfaceFor(discordJob(fake)).create('hello');
    expect(fake.message(ref.id)?.content).toBe('hello');
  });

  it('shows typing in the answer channel', async () => {
    const ports = await setup();
    const thread = fake.state.startThread(fake.userSays({ content: 'q', mentionBot: true }), 'q', 1440, fake.bot);
    await ports.surfaceFor(discordJob(fake, { threadId: thread.id })).typing?.();
    expect(fake.requestsTo('POST', new RegExp(`^/channels/${thread.id}/typing$`))).toHaveLength(1);
  });

  it("edits a slash command's deferred reply through the interaction webhook", async () => {
    const ports = await setup();
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'hi' } });
    const responseId = await deferInteraction(fake, interaction);
    const jobId = jobIdFor('discord', interaction.id);
    await new InteractionTokenStore({ redis, prefix }).save(jobId, interaction.token);
    const job = discordJob(fake, {
      eventId: interaction.id,
      fromCommand: true,
      placeholder: { id: responseId, channelId: fake.channel.id, extra: { kind: 'interaction', interactionId: interaction.id } },
    });
    const surface = ports.surfaceFor(job);
    await surface.edit(job.placeholder!, 'Answer @everyone', { controls: { kind: 'stop', jobId } });
    expect(fake.message(responseId)?.content.replace(/\u200b/g, '')).toBe('Answer @everyone');
    expect(fake.buttonsOf(responseId)).toEqual([`ofox:stop:${jobId}`]);
    const follow = await surface.create('part two', { final: true });
    expect(fake.interaction(interaction.id)?.followupIds).toEqual([follow.id]);
    expect(fake.messageWrites().map((write) => write.allowedMentions)).toEqual([{ parse: [] }, { parse: [] }]);
    expect(fake.messageWrites().every((write) => write.path.startsWith('/webhooks/'))).toBe(true);
  });

  it("keeps editing a public slash-command reply through the channel once its interaction token has expired", async () => {
    const ports = await setup();
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'hi' } });
    const responseId = await deferInteraction(fake, interaction);
    await new InteractionTokenStore({ redis, prefix }).save(jobIdFor('discord', interaction.id), interaction.token);
    const job = discordJob(fake, {
      eventId: interaction.id,
      fromCommand: true,
      placeholder: { id: responseId, channelId: fake.channel.id, extra: { kind: 'interaction', interactionId: interaction.id } },
    });
    const surface = ports.surfaceFor(job);
    await surface.edit(job.placeholder!, 'early text');
    fake.expireInteractionToken(interaction.id);
    // The store has stopped handing the token out too (it does 30 s before Discord's expiry).
    await new InteractionTokenStore({ redis, prefix }).forget(jobIdFor('discord', interaction.id));

    fake.clearRequests();
    await surface.edit(job.placeholder!, 'later text', { controls: { kind: 'stop', jobId: 'job-1' } });
    await surface.edit(job.placeholder!, 'later text, done', { final: true });
    expect(fake.message(responseId)?.content).toBe('later text, done');
    expect(fake.buttonsOf(responseId)).toEqual([]);
    expect(fake.messageWrites().map((write) => [write.method, write.path, write.allowedMentions])).toEqual([
      ['PATCH', `/channels/${fake.channel.id}/messages/${responseId}`, { parse: [] }],
      ['PATCH', `/channels/${fake.channel.id}/messages/${responseId}`, { parse: [] }],
    ]);
    // Parts after the first are ordinary channel messages.
    const ref = await surface.create('part two', { final: true });
    expect(ref.extra).toBeUndefined();
    expect(fake.message(ref.id)).toMatchObject({ channel_id: fake.channel.id, content: 'part two' });
  });

  it("falls back to the channel route when Discord refuses a public reply's token before the store expects", async () => {
    const ports = await setup();
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'hi' } });
    const responseId = await deferInteraction(fake, interaction);
    await new InteractionTokenStore({ redis, prefix }).save(jobIdFor('discord', interaction.id), interaction.token);
    const job = discordJob(fake, {
      eventId: interaction.id,
      fromCommand: true,
      placeholder: { id: responseId, channelId: fake.channel.id, extra: { kind: 'interaction', interactionId: interaction.id } },
    });
    const surface = ports.surfaceFor(job);
    fake.expireInteractionToken(interaction.id);
    await surface.edit(job.placeholder!, 'still here', { final: true });
    expect(fake.message(responseId)?.content).toBe('still here');
    expect(await new InteractionTokenStore({ redis, prefix }).get(jobIdFor('discord', interaction.id))).toBeUndefined();
  });

  it("cannot edit an expired reply known only as '@original'", async () => {
    const ports = await setup();
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'hi' } });
    await deferInteraction(fake, interaction);
    const job = discordJob(fake, {
      eventId: interaction.id,
      fromCommand: true,
      placeholder: { id: '@original', channelId: fake.channel.id, extra: { kind: 'interaction', interactionId: interaction.id } },
    });
    await expect(ports.surfaceFor(job).edit(job.placeholder!, 'later text')).rejects.toBeInstanceOf(SurfaceMessageGoneError);
    expect(fake.messageWrites()).toHaveLength(0);
  });

  it('ends a private answer rather than posting it publicly after its token expired', async () => {
    const ports = await setup();
    const interaction = fake.slashCommand({ name: 'ask', options: { prompt: 'hi', private: true } });
    const responseId = await deferInteraction(fake, interaction, true);
    // stored 15 minutes ago: the store already considers it unusable
    await new InteractionTokenStore({ redis, prefix }).save(jobIdFor('discord', interaction.id), interaction.token, Date.now() - 14.8 * 60_000);
    const job = discordJob(fake, {
      eventId: interaction.id,
      fromCommand: true,
      private: true,
      placeholder: { id: responseId, channelId: fake.channel.id, extra: { kind: 'interaction', interactionId: interaction.id } },
    });
    const surface = ports.surfaceFor(job);
    await expect(surface.edit(job.placeholder!, 'secret')).rejects.toBeInstanceOf(SurfaceMessageGoneError);
    await expect(surface.create('secret')).rejects.toBeInstanceOf(DiscordRejectedError);
    expect(fake.messageWrites()).toHaveLength(0);
  });
});
