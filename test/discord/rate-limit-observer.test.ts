import { describe, expect, it } from 'vitest';
import { RateLimitObserver } from '../../adapters/discord/rate-limit-observer.ts';
import { discordPlaceholderRequest, discordTypingRequest } from '../../adapters/discord/write-budgets.ts';

describe("the channel budgets Discord's headers teach", () => {
  it('starts from the documented 5 per 5 s, shared by creates and edits', () => {
    const observer = new RateLimitObserver(undefined);
    expect(observer.messageBudget('1', 'create')).toEqual({ key: 'discord:1:messages', limit: 5, windowMs: 5_000, kind: 'window' });
    expect(observer.messageBudget('1', 'edit')).toEqual(observer.messageBudget('1', 'create'));
  });

  it("learns a bucket's size from X-RateLimit-Limit and its window from Reset-After on the request that opened it", () => {
    const observer = new RateLimitObserver(undefined);
    observer.record('1', 'create', { bucket: 'abc', limit: 8, remaining: 7, resetAfterSeconds: 3.95 });
    observer.record('1', 'edit', { bucket: 'abc', limit: 8, remaining: 6, resetAfterSeconds: 3.2 });
    // Same bucket for both routes: one budget, 8 per 4 s (the opening Reset-After, rounded up to 100 ms).
    expect(observer.messageBudget('1', 'edit')).toEqual({ key: 'discord:1:messages', limit: 8, windowMs: 4_000, kind: 'window' });
    expect(observer.createsAndEditsShareABucket).toBe(true);
    // Another channel has its own budget, at the defaults until its headers come.
    expect(observer.messageBudget('2', 'edit')).toEqual({ key: 'discord:2:messages', limit: 5, windowMs: 5_000, kind: 'window' });
  });

  it('splits creates and edits into two budgets when Discord names two buckets', () => {
    const observer = new RateLimitObserver(undefined);
    observer.record('1', 'create', { bucket: 'create-hash', limit: 5, remaining: 4, resetAfterSeconds: 5 });
    observer.record('1', 'edit', { bucket: 'edit-hash', limit: 3, remaining: 2, resetAfterSeconds: 2 });
    expect(observer.createsAndEditsShareABucket).toBe(false);
    expect(observer.messageBudget('1', 'edit')).toEqual({ key: 'discord:1:edit', limit: 3, windowMs: 2_000, kind: 'window' });
  });

  it('asks for a placeholder only with five first texts to spare, and for typing from its own bucket', () => {
    const observer = new RateLimitObserver(undefined);
    expect(discordPlaceholderRequest(observer, '1')).toEqual({ budgets: [observer.messageBudget('1', 'create')], spare: 5 });
    const typing = discordTypingRequest('1');
    expect(typing.budgets.map((budget) => budget.key)).toEqual(['discord:1:typing', 'discord:global']);
    expect(typing.spare).toEqual([1, 25]);
  });
});
