import { randomUUID } from 'node:crypto';
import { Cluster, type Redis } from 'ioredis';
import type { ApprovalClick, ApprovalClickResult, ApprovalOutcome, ApprovalPrompt } from './approval-types.ts';

export interface ApprovalBrokerOptions {
  /** A normal (non-subscriber) connection; the broker duplicates it for its subscription. */
  redis: Redis | Cluster;
  /** Key prefix shared by every process (REDIS_KEY_PREFIX). */
  prefix: string;
  /** TOOL_APPROVAL_TIMEOUT_MS. @defaultValue 120_000 */
  timeoutMs?: number;
  /** @defaultValue Date.now */
  now?: () => number;
}

export interface ApprovalRecord extends ApprovalPrompt {
  /** Epoch milliseconds after which nobody may decide. */
  expiresAt: number;
  outcome?: ApprovalOutcome;
  decidedBy?: string;
}

/** Decided records stay this long, so a late click hears "already decided" instead of "unknown". */
const KEEP_AFTER_EXPIRY_MS = 60 * 60 * 1000;

/**
 * The first outcome written wins, atomically: a click, the waiter's timeout and a cancellation can
 * race, and every party then reads the same answer. Publishing inside the script means a waiter
 * that subscribed before reading the record cannot miss it.
 * KEYS[1] record · ARGV outcome, decidedBy, nowMs, channel, approvalId, checkExpiry
 */
const SETTLE_SCRIPT = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {'unknown', ''} end
local existing = redis.call('HGET', KEYS[1], 'outcome')
if existing then return {'decided', existing} end
if ARGV[6] == '1' then
  local expires = tonumber(redis.call('HGET', KEYS[1], 'expiresAt'))
  if expires and tonumber(ARGV[3]) > expires then
    redis.call('HSET', KEYS[1], 'outcome', 'timed-out', 'decidedAt', ARGV[3])
    redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' timed-out')
    return {'decided', 'timed-out'}
  end
end
redis.call('HSET', KEYS[1], 'outcome', ARGV[1], 'decidedBy', ARGV[2], 'decidedAt', ARGV[3])
redis.call('PUBLISH', ARGV[4], ARGV[5] .. ' ' .. ARGV[1])
return {'settled', ARGV[1]}
`;

const OUTCOME_WORDS: Record<ApprovalOutcome, string> = {
  approved: 'approved',
  denied: 'denied',
  'timed-out': 'timed out',
  cancelled: 'cancelled',
};

/**
 * Approve / Deny for tool calls, across processes: the worker running the job opens and waits; the
 * click arrives in the gateway process and decides. Redis holds the record and carries the news.
 */
export class ApprovalBroker {
  readonly #redis: Redis | Cluster;
  readonly #prefix: string;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #channel: string;
  #subscriber: Redis | Cluster | undefined;
  #subscribed: Promise<void> | undefined;
  readonly #waiters = new Map<string, Set<(outcome: ApprovalOutcome) => void>>();

  constructor(options: ApprovalBrokerOptions) {
    this.#redis = options.redis;
    this.#prefix = options.prefix;
    this.#timeoutMs = options.timeoutMs ?? 120_000;
    this.#now = options.now ?? Date.now;
    this.#channel = `${this.#prefix}:approvals:decided`;
  }

  /** Records a pending approval and returns the prompt (with its new id) to post. */
  async open(prompt: Omit<ApprovalPrompt, 'approvalId'>, options: { timeoutMs?: number } = {}): Promise<ApprovalPrompt> {
    const approvalId = randomUUID();
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    const expiresAt = this.#now() + timeoutMs;
    const key = this.#key(approvalId);
    await this.#redis
      .multi()
      .hset(key, {
        jobId: prompt.jobId,
        toolName: prompt.toolName,
        summary: prompt.summary,
        userId: prompt.userId,
        expiresAt: String(expiresAt),
      })
      .pexpire(key, timeoutMs + KEEP_AFTER_EXPIRY_MS)
      .exec();
    return { approvalId, ...prompt };
  }

  async get(approvalId: string): Promise<ApprovalRecord | undefined> {
    const fields = await this.#redis.hgetall(this.#key(approvalId));
    if (!fields.toolName) return undefined;
    return {
      approvalId,
      jobId: fields.jobId ?? '',
      toolName: fields.toolName,
      summary: fields.summary ?? '',
      userId: fields.userId ?? '',
      expiresAt: Number(fields.expiresAt),
      ...(fields.outcome ? { outcome: fields.outcome as ApprovalOutcome } : {}),
      ...(fields.decidedBy ? { decidedBy: fields.decidedBy } : {}),
    };
  }

  /**
   * Resolves with the decision; 'timed-out' after `timeoutMs` (default: until the record expires),
   * 'cancelled' when `signal` aborts. Either of those is written back, so a later click is refused.
   */
  async wait(approvalId: string, options: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<ApprovalOutcome> {
    await this.#subscribe();
    let settle!: (outcome: ApprovalOutcome) => void;
    const decided = new Promise<ApprovalOutcome>((resolve) => (settle = resolve));
    const waiters = this.#waiters.get(approvalId) ?? new Set();
    waiters.add(settle);
    this.#waiters.set(approvalId, waiters);

    let timer: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => void this.#settle(approvalId, 'cancelled', '').then(settle, () => settle('cancelled'));
    try {
      // Subscribed first, read second: a decision made before we subscribed is in the record.
      const record = await this.get(approvalId);
      if (!record) return 'cancelled';
      if (record.outcome) return record.outcome;
      const timeoutMs = options.timeoutMs ?? Math.max(0, record.expiresAt - this.#now());
      timer = setTimeout(() => void this.#settle(approvalId, 'timed-out', '').then(settle, () => settle('timed-out')), timeoutMs);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener('abort', onAbort, { once: true });
      return await decided;
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      waiters.delete(settle);
      if (waiters.size === 0) this.#waiters.delete(approvalId);
    }
  }

  /** A button press. Only the asker or an admin may decide, and only once. */
  async decide(click: ApprovalClick): Promise<ApprovalClickResult> {
    const record = await this.get(click.approvalId);
    if (!record) return { status: 'unknown', message: 'This approval request is unknown or has expired.' };
    if (record.outcome) return { status: 'already-decided', message: `This request was already ${OUTCOME_WORDS[record.outcome]}.` };
    if (click.userId !== record.userId && !click.isAdmin) {
      return {
        status: 'not-allowed',
        message: `Only the person who asked, or an admin, can approve or deny running ${record.toolName}.`,
      };
    }
    const outcome: ApprovalOutcome = click.decision === 'approve' ? 'approved' : 'denied';
    const [status, final] = await this.#runSettle(click.approvalId, outcome, click.userId, true);
    if (status === 'unknown') return { status: 'unknown', message: 'This approval request is unknown or has expired.' };
    if (status === 'decided') return { status: 'already-decided', message: `This request was already ${OUTCOME_WORDS[final as ApprovalOutcome] ?? final}.` };
    return { status: 'accepted', toolName: record.toolName };
  }

  /** Ends the subscription connection (the shared `redis` is the caller's to close). */
  async close(): Promise<void> {
    const subscriber = this.#subscriber;
    this.#subscriber = undefined;
    this.#subscribed = undefined;
    for (const [, waiters] of this.#waiters) for (const settle of waiters) settle('cancelled');
    this.#waiters.clear();
    if (subscriber) await subscriber.quit().catch(() => subscriber.disconnect());
  }

  async #settle(approvalId: string, outcome: ApprovalOutcome, decidedBy: string): Promise<ApprovalOutcome> {
    const [status, final] = await this.#runSettle(approvalId, outcome, decidedBy, false);
    return status === 'unknown' ? outcome : (final as ApprovalOutcome);
  }

  async #runSettle(approvalId: string, outcome: ApprovalOutcome, decidedBy: string, checkExpiry: boolean): Promise<[string, string]> {
    const reply = (await this.#redis.eval(
      SETTLE_SCRIPT,
      1,
      this.#key(approvalId),
      outcome,
      decidedBy,
      String(this.#now()),
      this.#channel,
      approvalId,
      checkExpiry ? '1' : '0',
    )) as [string, string];
    return reply;
  }

  #subscribe(): Promise<void> {
    if (this.#subscribed) return this.#subscribed;
    // The two duplicate() signatures differ (a cluster takes startup nodes); both keep the options.
    const subscriber = this.#redis instanceof Cluster ? this.#redis.duplicate() : this.#redis.duplicate();
    this.#subscriber = subscriber;
    subscriber.on('message', (_channel: string, message: string) => {
      const space = message.lastIndexOf(' ');
      const approvalId = message.slice(0, space);
      const outcome = message.slice(space + 1) as ApprovalOutcome;
      for (const settle of this.#waiters.get(approvalId) ?? []) settle(outcome);
    });
    this.#subscribed = subscriber.subscribe(this.#channel).then(
      () => undefined,
      (error: unknown) => {
        this.#subscribed = undefined;
        throw error;
      },
    );
    return this.#subscribed;
  }

  #key(approvalId: string): string {
    return `${this.#prefix}:approval:${approvalId}`;
  }
}

/** A one-line rendering of tool arguments for the approval prompt. */
export function summarizeToolInput(input: unknown, maxChars = 300): string {
  let text: string;
  try {
    text = typeof input === 'string' ? input : JSON.stringify(input);
  } catch {
    text = String(input);
  }
  text = (text ?? '').replace(/\s+/g, ' ');
  return text.length <= maxChars ? text : `${text.slice(0, maxChars - 1)}…`;
}
