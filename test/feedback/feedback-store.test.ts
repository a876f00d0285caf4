import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FeedbackStore, feedbackSummary, type FeedbackEvent } from '../../src/feedback/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

/** The feedback store against real Redis: one vote per person per answer, totals per model and persona. */

const redis = new Redis(testRedisUrl());
const prefix = newTestPrefix('feedback');
const events: FeedbackEvent[] = [];
const DAY_MS = 86_400_000;
let now = Date.UTC(2026, 11, 1, 12, 0, 0);
const store = new FeedbackStore({ redis, prefix, onVote: (event) => events.push(event), now: () => now });

afterEach(async () => {
  events.length = 0;
  now = Date.UTC(2026, 11, 1, 12, 0, 0);
  await deleteKeys(prefix);
});

afterAll(() => {
  redis.disconnect();
});

async function answer(jobId: string, model = 'openai/gpt-4o-mini', persona?: string): Promise<void> {
  await store.recordAnswer({ jobId, platform: 'slack', workspaceId: 'T1', channelId: 'C1', model, ...(persona ? { persona } : {}), messageIds: [`${jobId}-m1`, `${jobId}-m2`] });
}

describe('FeedbackStore', () => {
  it('counts a vote once per person per answer; a repeat is unchanged, the other vote replaces it', async () => {
    await answer('job-1');
    expect(await store.vote({ platform: 'slack', jobId: 'job-1', userId: 'U1', vote: 'up' })).toEqual({ status: 'counted', jobId: 'job-1' });
    expect(await store.vote({ platform: 'slack', jobId: 'job-1', userId: 'U1', vote: 'up' })).toEqual({ status: 'unchanged', jobId: 'job-1' });
    expect(await store.totals({ platform: 'slack', workspaceId: 'T1' })).toEqual([{ model: 'openai/gpt-4o-mini', persona: 'default', up: 1, down: 0 }]);
    expect(await store.vote({ platform: 'slack', jobId: 'job-1', userId: 'U1', vote: 'down' })).toEqual({ status: 'changed', jobId: 'job-1' });
    expect(await store.vote({ platform: 'slack', jobId: 'job-1', userId: 'U2', vote: 'down' })).toEqual({ status: 'counted', jobId: 'job-1' });
    expect(await store.totals({ platform: 'slack', workspaceId: 'T1' })).toEqual([{ model: 'openai/gpt-4o-mini', persona: 'default', up: 0, down: 2 }]);
    expect(events).toEqual([
      { platform: 'slack', model: 'openai/gpt-4o-mini', persona: 'default', vote: 'up' },
      { platform: 'slack', model: 'openai/gpt-4o-mini', persona: 'default', vote: 'down', replaced: 'up' },
      { platform: 'slack', model: 'openai/gpt-4o-mini', persona: 'default', vote: 'down' },
    ]);
  });

  it('concurrent clicks by one person still count once', async () => {
    await answer('job-2');
    await Promise.all(Array.from({ length: 10 }, () => store.vote({ platform: 'slack', jobId: 'job-2', userId: 'U1', vote: 'up' })));
    expect(await store.totals({ platform: 'slack', workspaceId: 'T1' })).toEqual([{ model: 'openai/gpt-4o-mini', persona: 'default', up: 1, down: 0 }]);
  });

  it('keeps totals per model and persona, finds an answer by any of its messages, and withdraws a vote', async () => {
    await answer('job-3', 'anthropic/claude-sonnet-4.5', '  You are a terse   reviewer. ');
    await answer('job-4');
    expect((await store.vote({ platform: 'slack', messageId: 'job-3-m2', userId: 'U1', vote: 'up' })).status).toBe('counted');
    expect((await store.vote({ platform: 'slack', messageId: 'job-4-m1', userId: 'U1', vote: 'down' })).status).toBe('counted');
    expect((await store.vote({ platform: 'slack', messageId: 'not-an-answer', userId: 'U1', vote: 'down' })).status).toBe('unknown');
    expect(await store.totals({ platform: 'slack', workspaceId: 'T1' })).toEqual([
      { model: 'anthropic/claude-sonnet-4.5', persona: 'You are a terse reviewer.', up: 1, down: 0 },
      { model: 'openai/gpt-4o-mini', persona: 'default', up: 0, down: 1 },
    ]);
    // Withdrawing the vote the person does not hold changes nothing.
    expect(await store.withdraw({ platform: 'slack', messageId: 'job-4-m1', userId: 'U1', vote: 'up' })).toBe(false);
    expect(await store.withdraw({ platform: 'slack', messageId: 'job-4-m1', userId: 'U1', vote: 'down' })).toBe(true);
    expect((await store.totals({ platform: 'slack', workspaceId: 'T1' })).find((row) => row.model === 'openai/gpt-4o-mini')).toEqual({ model: 'openai/gpt-4o-mini', persona: 'default', up: 0, down: 0 });
    expect(await store.totals({ platform: 'discord', workspaceId: 'T1' })).toEqual([]);
    expect(events.at(-1)).toEqual({ platform: 'slack', model: 'openai/gpt-4o-mini', persona: 'default', withdrawn: 'down' });
  });

  it("counts votes on their answer's day, so a period holds the votes on its answers and a later change takes back from the same day", async () => {
    await answer('job-7');
    await store.vote({ platform: 'slack', jobId: 'job-7', userId: 'U1', vote: 'up' });
    await store.vote({ platform: 'slack', jobId: 'job-7', userId: 'U2', vote: 'up' });
    now += 3 * DAY_MS;
    await answer('job-8');
    await store.vote({ platform: 'slack', jobId: 'job-8', userId: 'U1', vote: 'down' });
    // Three days on, U2 changes their mind about the first answer.
    await store.vote({ platform: 'slack', jobId: 'job-7', userId: 'U2', vote: 'down' });
    expect(await store.totals({ platform: 'slack', workspaceId: 'T1' }, { days: 1 })).toEqual([{ model: 'openai/gpt-4o-mini', persona: 'default', up: 0, down: 1 }]);
    expect(await store.totals({ platform: 'slack', workspaceId: 'T1' }, { days: 7 })).toEqual([{ model: 'openai/gpt-4o-mini', persona: 'default', up: 1, down: 2 }]);
    expect(await redis.hgetall(`${prefix}:feedback:totals:slack:T1:2026-12-01`)).toEqual({ 'openai/gpt-4o-mini\tdefault\tup': '1', 'openai/gpt-4o-mini\tdefault\tdown': '1' });
  });

  it('a vote that beats the answer record pins the day, and the record keeps it', async () => {
    await store.vote({ platform: 'slack', jobId: 'job-9', userId: 'U1', vote: 'up' });
    now += DAY_MS;
    await answer('job-9');
    await store.vote({ platform: 'slack', jobId: 'job-9', userId: 'U1', vote: 'down' });
    expect(await redis.hget(`${prefix}:feedback:answer:job-9`, 'day')).toBe('2026-12-01');
    expect(await redis.hget(`${prefix}:feedback:totals:slack:T1:2026-12-01`, 'openai/gpt-4o-mini\tdefault\tdown')).toBe('1');
    expect(await redis.exists(`${prefix}:feedback:totals:slack:T1:2026-12-02`)).toBe(0);
  });

  it('keeps its keys under the prefix', async () => {
    await answer('job-5');
    await store.vote({ platform: 'slack', jobId: 'job-5', userId: 'U1', vote: 'up' });
    const keys = (await redis.keys(`${prefix}:*`)).sort();
    expect(keys).toEqual([`${prefix}:feedback:answer:job-5`, `${prefix}:feedback:msg:slack:job-5-m1`, `${prefix}:feedback:msg:slack:job-5-m2`, `${prefix}:feedback:totals:slack:T1:2026-12-01`, `${prefix}:feedback:votes:job-5`]);
  });
});

describe('feedbackSummary', () => {
  it('lists votes per model and persona for the admins’ usage view, and nothing before any vote', async () => {
    expect(await feedbackSummary(store, { platform: 'slack', workspaceId: 'T1' })).toBe('');
    await answer('job-6', 'openai/gpt-4o-mini', 'Pirate');
    await store.vote({ platform: 'slack', jobId: 'job-6', userId: 'U1', vote: 'up' });
    await store.vote({ platform: 'slack', jobId: 'job-6', userId: 'U2', vote: 'down' });
    await store.vote({ platform: 'slack', jobId: 'job-6', userId: 'U3', vote: 'up' });
    expect(await feedbackSummary(store, { platform: 'slack', workspaceId: 'T1' })).toBe('**Feedback on answers**\n- `openai/gpt-4o-mini` · persona “Pirate”: 👍 2 · 👎 1');
    expect(await feedbackSummary(store, { platform: 'slack', workspaceId: 'T1' }, { days: 7, period: 'the last 7 days' })).toBe('**Feedback on answers, the last 7 days**\n- `openai/gpt-4o-mini` · persona “Pirate”: 👍 2 · 👎 1');
    now += 8 * DAY_MS;
    expect(await feedbackSummary(store, { platform: 'slack', workspaceId: 'T1' }, { days: 7 })).toBe('');
  });
});
