import type { WriteBudget } from './write-budget.ts';

/**
 * The one seam between the platform-neutral renderer and a chat platform. Each adapter implements
 * it once (`adapters/<platform>/surface.ts`); the renderer never knows which platform it drives.
 */

/** A message the bot posted, serializable so it can travel in a job and be edited after a crash. */
export interface MessageRef {
  /** Platform message id (Discord snowflake, Slack `ts`, ...). */
  id: string;
  channelId: string;
  /** Platform-specific extras (a thread ts, an interaction-reply marker, ...); never secrets. */
  extra?: Record<string, string>;
}

export interface SurfaceLimits {
  /** Longest text one message may hold. */
  maxChars: number;
  /** Smallest gap between two edits of one message that the platform tolerates. */
  minEditIntervalMs: number;
  /**
   * For a surface without `budgetsFor`: writes per `channelWindowMs` in one channel across all
   * messages, one budget shared by every answer in the channel (`budgetsFromLimits`).
   */
  channelEditsPerWindow?: number;
  channelWindowMs?: number;
  /** The platform shows tool progress natively (Slack streaming task updates). */
  nativeToolStatus?: boolean;
  /**
   * A message takes cheap, live (non-final) writes for at most this long after it was created
   * (Slack ends a native stream after a few minutes). The renderer gives a message it streams into
   * its final write before this age (two edit intervals plus a tenth of the age ahead, at most half
   * of it), and the text goes on in a new message. A message handed over already past that point
   * (by a crashed attempt) is written as usual, not cut into fragments: the surface takes those
   * writes its own way (Slack rewrites the message with chat.update). @defaultValue no limit
   */
  maxMessageAgeMs?: number;
}

export type ToolRunState = 'running' | 'done' | 'failed' | 'awaiting-approval';

export interface ToolStatus {
  id: string;
  name: string;
  /** A short, human-readable rendering of the arguments. */
  summary: string;
  state: ToolRunState;
  durationMs?: number;
  error?: string;
}

/** Buttons the surface should attach to a message. */
export type MessageControls =
  | { kind: 'none' }
  | { kind: 'stop'; jobId: string }
  | { kind: 'feedback'; jobId: string };

export interface MessageOptions {
  controls?: MessageControls;
  /** Current tool statuses, for surfaces with `nativeToolStatus`. */
  tools?: ToolStatus[];
  /**
   * One plain-text line about the model's reasoning ("💭 thinking… 12 s", or its latest line),
   * which the surface shows apart from the text in its platform's small print (Discord subtext,
   * a Slack context block or stream task). A field, not text: it never counts toward splitting,
   * each platform can show it where it removes cleanly, and it goes when the answer starts.
   */
  reasoning?: string;
  /**
   * True once a message is complete: a full message the answer continued after, or the last write
   * of the answer. Only a retry that replaces the answer's text edits a final message again.
   */
  final?: boolean;
}

/** A write the renderer is about to make, so the surface can say which platform budgets it draws from. */
export interface PlannedWrite {
  /** `create`: a new message (the first text without a placeholder, or a continuation). */
  kind: 'create' | 'edit';
  /** The message an edit targets. */
  ref?: MessageRef;
  /** The message's last write (its complete text). */
  final: boolean;
}

/**
 * The renderer writes one message of an answer at a time (never two calls in flight for one
 * answer), paced by `limits`; `create` also posts the continuation messages of a long answer.
 */
export interface Surface {
  readonly limits: SurfaceLimits;
  /**
   * Names where the answer is written (platform + channel): the budget key of a surface without
   * `budgetsFor`, and a label in logs.
   */
  readonly channelKey: string;
  /**
   * The platform budgets this write draws one token from, the first being the one whose waiting
   * writes are ranked by priority (the channel's). Every platform API call the write makes must be
   * covered. @defaultValue derived from `limits` (`budgetsFromLimits`)
   */
  budgetsFor?(write: PlannedWrite): WriteBudget[];
  create(text: string, options?: MessageOptions): Promise<MessageRef>;
  edit(ref: MessageRef, text: string, options?: MessageOptions): Promise<void>;
  /** Shows "typing…" until the first text; optional. */
  typing?(): Promise<void>;
  /**
   * How long ago the platform created a message that was handed to the renderer (a placeholder,
   * or a continuation an earlier attempt posted), for `limits.maxMessageAgeMs`. @defaultValue
   * unknown: counted from when the renderer received it
   */
  messageAgeMs?(ref: MessageRef): number | undefined;
}

/** Thrown by a surface when the platform answered 429; the renderer widens its pace and retries. */
export class SurfaceRateLimitedError extends Error {
  override name = 'SurfaceRateLimitedError';
  readonly retryAfterMs: number;
  /**
   * Keys of the budgets the platform said are empty (say, the one method of a two-call write that
   * was refused); undefined: every budget the write drew from.
   */
  readonly budgetKeys: readonly string[] | undefined;
  constructor(retryAfterMs: number, message = `rate limited for ${retryAfterMs} ms`, budgetKeys?: readonly string[]) {
    super(message);
    this.retryAfterMs = retryAfterMs;
    this.budgetKeys = budgetKeys;
  }

  /** The budgets of a write this refusal says are empty: those `budgetKeys` names, else all of them. */
  refusedOf<B extends { key: string }>(budgets: readonly B[]): readonly B[] {
    const keys = this.budgetKeys;
    const named = keys ? budgets.filter((budget) => keys.includes(budget.key)) : [];
    return named.length > 0 ? named : budgets;
  }
}

/** Thrown by a surface when the message can no longer be edited (deleted, token expired, stream closed). */
export class SurfaceMessageGoneError extends Error {
  override name = 'SurfaceMessageGoneError';
}

/**
 * A surface marks a refusal that no retry can fix (Discord's 400/403) with `permanent: true`; the
 * mark may sit under a wrapper's `cause` (a renderer error wrapping the surface's).
 */
export function isPermanentRefusal(error: unknown): boolean {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; depth += 1) {
    if ((current as { permanent?: unknown }).permanent === true) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}
