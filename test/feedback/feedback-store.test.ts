import { Redis } from 'ioredis';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { FeedbackStore, feedbackSummary, type FeedbackEvent } from '../../src/feedback/index.ts';
import { deleteKeys, newTestPrefix, testRedisUrl } from '../helpers/redis.ts';

/** The feedback store against real Redis: one vote per person per answer, totals per model and persona. */

const redis = new Redis(testRedisUrl());
const prefix = newTestPrefix('feedback');
const events: FeedbackEvent[] = [];
const store = new FeedbackStore({ redis, prefix, onVote: (event) => events.push(event) });

afterEach(async () => {
  events.length = 0;
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
  });

  it('keeps its keys under the prefix', async () => {
    await answer('job-5');
    await store.vote({ platform: 'slack', jobId: 'job-5', userId: 'U1', vote: 'up' });
    const keys = (await redis.keys(`${prefix}:*`)).sort();
    expect(keys).toEqual([`${prefix}:feedback:answer:job-5`, `${prefix}:feedback:msg:slack:job-5-m1`, `${prefix}:feedback:msg:slack:job-5-m2`, `${prefix}:feedback:totals:slack:T1`, `${prefix}:feedback:votes:job-5`]);
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
  });
});
