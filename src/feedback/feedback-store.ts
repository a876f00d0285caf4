import type { Cluster, Redis } from 'ioredis';

/**
 * 👍 / 👎 on answers, kept in Redis under `${prefix}:feedback:`:
 * - `answer:{jobId}`: what produced the answer (platform, workspace, channel, model, persona) and
 *   its UTC day, written by the worker when the answer finishes;
 * - `msg:{platform}:{messageId}` → jobId, so a reaction on any of the answer's messages finds it;
 * - `votes:{jobId}`: userId → `up` | `down`, one vote per person per answer (a second click
 *   replaces the first, never adds to it);
 * - `totals:{platform}:{workspaceId}:{day}`: counters per model and persona of the answers of that
 *   UTC day, for the admins' usage view over a period. A vote counts on its answer's day, so a
 *   changed or withdrawn vote takes back from the same counters whenever it happens.
 * A vote and its counters change in one Lua script, so concurrent clicks cannot double count.
 */

export type Vote = 'up' | 'down';

export interface AnsweredRecord {
  jobId: string;
  platform: string;
  workspaceId: string;
  channelId: string;
  model: string;
  /** The channel's persona text, if any (stored shortened). */
  persona?: string;
  /** The answer's messages, for reaction-based feedback. */
  messageIds: string[];
}

export interface VoteInput {
  platform: string;
  userId: string;
  vote: Vote;
  /** The answer's job id (Slack's buttons carry it)… */
  jobId?: string;
  /** …or one of its messages (a Discord reaction). */
  messageId?: string;
}

export interface VoteResult {
  /** `counted` for a first vote, `changed` when it replaced the other one, `unchanged` for a repeat; `unknown` when no answer matches. */
  status: 'counted' | 'changed' | 'unchanged' | 'unknown';
  jobId?: string;
}

/**
 * A change of one person's current vote on an answer: a vote counted (replacing the other one, whose
 * counter went down by one), or a vote withdrawn.
 */
export type FeedbackEvent = { platform: string; model: string; persona: string } & (
  | {
      vote: Vote;
      /** The vote this one replaced (its counter went down by one). */
      replaced?: Vote;
    }
  | { withdrawn: Vote }
);

export interface FeedbackTotalsRow {
  model: string;
  persona: string;
  up: number;
  down: number;
}

/** What the admins' `usage` view reads. */
export interface FeedbackReader {
  /** Votes on the answers of the last `days` UTC days (today included). @defaultValue every day kept */
  totals(scope: { platform: string; workspaceId: string }, options?: { days?: number }): Promise<FeedbackTotalsRow[]>;
}

export interface FeedbackStoreOptions {
  redis: Redis | Cluster;
  prefix: string;
  /** How long answers, their votes and message links are kept. @defaultValue DEFAULTS.retentionSeconds */
  retentionSeconds?: number;
  /** Called after each counted, changed or withdrawn vote (a metric's hook; must not throw). @defaultValue none */
  onVote?: (event: FeedbackEvent) => void;
  /** @defaultValue Date.now */
  now?: () => number;
}

export const DEFAULTS = {
  /** @defaultValue 90 days, like usage history */
  retentionSeconds: 90 * 86_400,
  /** Personas are stored as their first characters: enough to tell them apart. @defaultValue 80 */
  personaChars: 80,
};

/** Used when the answer was not recorded (expired, or the click beat the record). */
const UNKNOWN = 'unknown';
const DEFAULT_PERSONA = 'default';
const SEPARATOR = '\t';

/**
 * KEYS: votes, totals. ARGV: userId, vote, fieldPrefix, ttl.
 * Returns the previous vote ('' when none).
 */
const VOTE_SCRIPT = `
local previous = redis.call('HGET', KEYS[1], ARGV[1]) or ''
if previous == ARGV[2] then return previous end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[4]))
redis.call('HINCRBY', KEYS[2], ARGV[3] .. ARGV[2], 1)
if previous ~= '' then redis.call('HINCRBY', KEYS[2], ARGV[3] .. previous, -1) end
redis.call('EXPIRE', KEYS[2], tonumber(ARGV[4]))
return previous
`;

export class FeedbackStore implements FeedbackReader {
  private readonly redis: Redis | Cluster | Cluster;
  private readonly prefix: string;
  private readonly retentionSeconds: number;
  private readonly onVote?: (event: FeedbackEvent) => void;
  private readonly now: () => number;

  constructor(options: FeedbackStoreOptions) {
    this.redis = options.redis;
    this.prefix = `${options.prefix}:feedback`;
    this.retentionSeconds = options.retentionSeconds ?? DEFAULTS.retentionSeconds;
    this.onVote = options.onVote;
    this.now = options.now ?? Date.now;
  }

  private today(): string {
    return new Date(this.now()).toISOString().slice(0, 10);
  }

  private totalsKey(platform: string, workspaceId: string, day: string): string {
    return `${this.prefix}:totals:${platform}:${workspaceId}:${day}`;
  }

  private emit(event: FeedbackEvent): void {
    try {
      this.onVote?.(event);
    } catch {
      // A metric must never fail a vote.
    }
  }

  /**
   * The answer's record and the day its votes count on; an answer not (yet) recorded gets today
   * pinned, so a later change of the same vote takes back from the same day.
   */
  private async answerOf(jobId: string): Promise<Record<string, string> & { day: string }> {
    const key = `${this.prefix}:answer:${jobId}`;
    const answer = await this.redis.hgetall(key);
    if (answer.day) return answer as Record<string, string> & { day: string };
    const today = this.today();
    const results = await this.redis.multi().hsetnx(key, 'day', today).hget(key, 'day').expire(key, this.retentionSeconds).exec();
    const pinned = results?.[1]?.[1];
    return { ...answer, day: typeof pinned === 'string' ? pinned : today };
  }

  /** Remembers what produced an answer; the worker calls it when the answer is finished. */
  async recordAnswer(answer: AnsweredRecord): Promise<void> {
    const persona = answer.persona?.trim() ? answer.persona.trim().replace(/\s+/g, ' ').slice(0, DEFAULTS.personaChars) : DEFAULT_PERSONA;
    const pipeline = this.redis.multi();
    const key = `${this.prefix}:answer:${answer.jobId}`;
    pipeline.hset(key, { platform: answer.platform, workspaceId: answer.workspaceId, channelId: answer.channelId, model: answer.model, persona });
    // A vote that beat this record pinned the day already; its counters stay where they are.
    pipeline.hsetnx(key, 'day', this.today());
    pipeline.expire(key, this.retentionSeconds);
    for (const messageId of answer.messageIds) pipeline.set(`${this.prefix}:msg:${answer.platform}:${messageId}`, answer.jobId, 'EX', this.retentionSeconds);
    await pipeline.exec();
  }

  /** Counts one person's vote on an answer once; a different vote replaces theirs. */
  async vote(input: VoteInput): Promise<VoteResult> {
    const jobId = input.jobId ?? (input.messageId ? await this.redis.get(`${this.prefix}:msg:${input.platform}:${input.messageId}`) : null);
    if (!jobId) return { status: 'unknown' };
    const answer = await this.answerOf(jobId);
    const model = answer.model ?? UNKNOWN;
    const persona = answer.persona ?? UNKNOWN;
    const workspaceId = answer.workspaceId ?? UNKNOWN;
    const field = [model, persona, ''].join(SEPARATOR);
    const previous = (await this.redis.eval(
      VOTE_SCRIPT,
      2,
      `${this.prefix}:votes:${jobId}`,
      this.totalsKey(input.platform, workspaceId, answer.day),
      input.userId,
      input.vote,
      field,
      String(this.retentionSeconds),
    )) as string;
    if (previous === input.vote) return { status: 'unchanged', jobId };
    const replaced = previous === 'up' || previous === 'down' ? previous : undefined;
    this.emit({ platform: input.platform, model, persona, vote: input.vote, ...(replaced ? { replaced } : {}) });
    return { status: replaced ? 'changed' : 'counted', jobId };
  }

  /** Withdraws a person's vote (a removed reaction); only when it is still the given one. */
  async withdraw(input: VoteInput): Promise<boolean> {
    const jobId = input.jobId ?? (input.messageId ? await this.redis.get(`${this.prefix}:msg:${input.platform}:${input.messageId}`) : null);
    if (!jobId) return false;
    const answer = await this.answerOf(jobId);
    const model = answer.model ?? UNKNOWN;
    const persona = answer.persona ?? UNKNOWN;
    const field = [model, persona, input.vote].join(SEPARATOR);
    const removed = (await this.redis.eval(
      `if redis.call('HGET', KEYS[1], ARGV[1]) ~= ARGV[2] then return 0 end
       redis.call('HDEL', KEYS[1], ARGV[1])
       redis.call('HINCRBY', KEYS[2], ARGV[3], -1)
       return 1`,
      2,
      `${this.prefix}:votes:${jobId}`,
      this.totalsKey(input.platform, answer.workspaceId ?? UNKNOWN, answer.day),
      input.userId,
      input.vote,
      field,
    )) as number;
    if (removed === 1) this.emit({ platform: input.platform, model, persona, withdrawn: input.vote });
    return removed === 1;
  }

  /** Up and down votes per model and persona in one workspace, on the answers of the last `days` days, most votes first. */
  async totals(scope: { platform: string; workspaceId: string }, options: { days?: number } = {}): Promise<FeedbackTotalsRow[]> {
    const days = Math.max(1, Math.min(options.days ?? Math.ceil(this.retentionSeconds / 86_400), Math.ceil(this.retentionSeconds / 86_400)));
    const pipeline = this.redis.pipeline();
    for (let index = 0; index < days; index += 1) {
      pipeline.hgetall(this.totalsKey(scope.platform, scope.workspaceId, new Date(this.now() - index * 86_400_000).toISOString().slice(0, 10)));
    }
    const hashes = ((await pipeline.exec()) ?? []).map(([error, hash]) => {
      if (error) throw error;
      return (hash ?? {}) as Record<string, string>;
    });
    const rows = new Map<string, FeedbackTotalsRow>();
    for (const [field, count] of hashes.flatMap((hash) => Object.entries(hash))) {
      const [model = UNKNOWN, persona = UNKNOWN, vote] = field.split(SEPARATOR);
      if (vote !== 'up' && vote !== 'down') continue;
      const key = `${model}${SEPARATOR}${persona}`;
      const row = rows.get(key) ?? { model, persona, up: 0, down: 0 };
      row[vote] += Number(count);
      rows.set(key, row);
    }
    return [...rows.values()].sort((a, b) => b.up + b.down - (a.up + a.down) || a.model.localeCompare(b.model));
  }
}

/** What a gateway needs: counting and withdrawing votes. */
export type FeedbackVotes = Pick<FeedbackStore, 'vote' | 'withdraw'>;
